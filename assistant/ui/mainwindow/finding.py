"""Find a track (the library's track search) and Open in Spotify.

A mixin of :class:`~assistant.ui.mainwindow.MainWindow`; the window holds the state.
"""

from __future__ import annotations

from assistant.errors import AssistantError
from assistant.ui import tasks
from assistant.ui.links import open_url, playlist_url, spotify_url
from assistant.ui.track_search import SEARCH_LIMIT


class FindingMixin:
    """Find a track (the library's track search) and Open in Spotify. (mixed into MainWindow)."""

    def show_find(self) -> None:
        self.lower_tabs.setCurrentWidget(self.find)
        self.find.focus()

    def search_tracks(self, text: str, version: int) -> None:
        """Runs a track search off the UI thread; an answer for older text is dropped."""
        self.worker.submit(
            tasks.search_tracks_task,
            self.library_path,
            text,
            SEARCH_LIMIT,
            on_result=lambda tracks: self.find.show_results(version, tracks),
            name="search",
        )

    def open_track_in_spotify(self, uri: str) -> None:
        url = spotify_url(uri)
        if url is None:
            self.show_error(f"{uri} is not a Spotify track, so Spotify cannot show it.")
            return
        open_url(url)

    def spotify_playlist_url(self, playlist_id: int) -> str | None:
        """open.spotify.com address of a playlist from (or exported to) Spotify."""
        try:
            playlist = self.library.playlist(playlist_id)
        except AssistantError:
            return None
        link = self.library.spotify_link(playlist_id)
        return playlist_url(playlist, link.spotify_playlist_id if link else None)

    def open_playlist_in_spotify(self, playlist_id: int) -> None:
        url = self.spotify_playlist_url(playlist_id)
        if url is None:
            self.show_error(
                "This playlist is not on Spotify. Export it there first (Spotify menu)."
            )
            return
        open_url(url)
