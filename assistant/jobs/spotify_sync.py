"""Spotify for the front ends: the gateway built one way from the settings, and the use
cases the CLI and the window both run (each opens its own library: they may run on a
worker thread).

The HTTP client, the parsing and the import/export logic are in
:mod:`assistant.sources.spotify`; the sign-in in :mod:`assistant.sources.spotify_auth`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.config import Settings, load_settings
from assistant.progress import CancelToken, ProgressCallback
from assistant.sources.spotify import (
    ExportResult,
    SpotifyImportSummary,
    SpotifyPlaylistInfo,
    SpotifyUser,
    SpotipyGateway,
)
from assistant.sources.spotify_auth import notice_text, redirect_uri
from assistant.store.library import Library

__all__ = [
    "ExportResult",
    "SpotifyImportSummary",
    "SpotifyPlaylistInfo",
    "SpotifyUser",
    "notice_text",
    "redirect_uri",
]


def gateway(settings: Settings | None = None, *, quick: bool = False) -> SpotipyGateway:
    """The Spotify gateway for these settings (default: the saved ones).

    ``quick``: one try and a short timeout, for a status check that must not keep a
    window waiting.
    """
    settings = settings or load_settings()
    if quick:
        return SpotipyGateway(settings, max_retries=1, timeout=5.0)
    return SpotipyGateway(settings)


def login(
    settings: Settings, open_browser: Callable[[str], Any], cancel: CancelToken | None = None
) -> SpotifyUser:
    return gateway(settings).login(open_browser=open_browser, cancel=cancel)


def signed_in_user(settings: Settings) -> SpotifyUser | None:
    """Who is signed in, or None (quick: for a status line)."""
    g = gateway(settings, quick=True)
    return g.current_user() if g.signed_in() else None


def user_and_playlists(
    settings: Settings, cancel: CancelToken | None = None
) -> tuple[SpotifyUser, list[SpotifyPlaylistInfo]]:
    g = gateway(settings)
    return g.current_user(), g.playlists(cancel=cancel)


def import_playlists(
    settings: Settings,
    library_path: str | Path,
    ids: Sequence[str] | None,
    *,
    report: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> SpotifyImportSummary:
    """Imports the person's playlists (None: all of them) into the library."""
    with Library(library_path) as library:
        return gateway(settings).import_playlists(library, ids, report=report, cancel=cancel)


def export_playlist(
    settings: Settings,
    library_path: str | Path,
    playlist_id: int,
    options: dict[str, Any],
    *,
    report: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ExportResult:
    """Exports a library playlist to Spotify; ``options``: ``to`` (an existing playlist to
    append to), ``name``, ``public``."""
    with Library(library_path) as library:
        return gateway(settings).export_playlist(
            library, playlist_id, report=report, cancel=cancel, **options
        )


def disconnect(settings: Settings, library_path: str | Path) -> int:
    """Deletes the token and the Spotify playlists from the library; returns how many."""
    with Library(library_path) as library:
        return gateway(settings).disconnect(library)
