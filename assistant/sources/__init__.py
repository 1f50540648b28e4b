"""Where playlists come from: MPD slices, files (CSV/M3U), Spotify, the demo catalog."""
