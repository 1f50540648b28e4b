"""Open in Spotify: ``open.spotify.com`` addresses for tracks and playlists.

Spotify's web player opens these, and so does the desktop app when it is installed
(it registers itself for them); no sign-in is needed to look.
"""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

from assistant.domain import Playlist

WEB = "https://open.spotify.com"


def spotify_url(uri: str) -> str | None:
    """``spotify:track:ID`` (or album, artist, playlist) → its open.spotify.com address."""
    parts = uri.split(":")
    kinds = ("track", "album", "artist", "playlist")
    if len(parts) == 3 and parts[0] == "spotify" and parts[1] in kinds and parts[2]:
        return f"{WEB}/{parts[1]}/{parts[2]}"
    return None


def playlist_url(playlist: Playlist, exported_id: str | None = None) -> str | None:
    """A playlist imported from Spotify, or exported there (``exported_id``)."""
    if playlist.source == "spotify" and playlist.source_ref:
        ref = playlist.source_ref
        return spotify_url(ref) if ref.startswith("spotify:") else f"{WEB}/playlist/{ref}"
    if exported_id:
        return f"{WEB}/playlist/{exported_id}"
    return None


def open_url(url: str) -> bool:
    return QDesktopServices.openUrl(QUrl(url))
