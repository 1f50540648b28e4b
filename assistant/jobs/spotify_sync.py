"""Spotify use cases over the gateway: import, export, disconnect (Qt-free).

The gateway (:mod:`assistant.sources.spotify`) talks to Spotify; what a person's action
means for the library and the models lives here: "Disconnect Spotify" deletes the token,
everything imported from Spotify, and every model trained on Spotify playlists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import Settings
from assistant.store.library import Library

SPOTIFY_SOURCE = "spotify"


@dataclass(slots=True)
class DisconnectResult:
    playlists: int  # Spotify playlists removed from the library
    checkpoints: list[str] = field(default_factory=list)  # model files deleted
    active_reset: bool = False  # the active model was one of them: back to the bundled one


def forget_spotify_models(library: Library, settings: Settings) -> tuple[list[str], bool]:
    """Deletes every checkpoint trained on Spotify playlists (files and records).

    Returns the deleted paths and whether the active model was among them (then
    ``settings.active_checkpoint`` is cleared; the caller saves the settings).
    """
    deleted: list[str] = []
    for record in library.checkpoints():
        if SPOTIFY_SOURCE not in record.sources:
            continue
        Path(record.path).unlink(missing_ok=True)
        library.delete_checkpoint_record(record.path)
        deleted.append(record.path)
    active = settings.active_checkpoint
    reset = bool(active) and any(_same(active, p) for p in deleted)
    if reset:
        settings.active_checkpoint = ""
    return deleted, reset


def disconnect(gateway: object, library: Library, settings: Settings) -> DisconnectResult:
    """Deletes the token, everything imported from Spotify, and models trained on it."""
    playlists = gateway.disconnect(library)  # type: ignore[attr-defined]
    deleted, reset = forget_spotify_models(library, settings)
    return DisconnectResult(playlists, deleted, reset)


def _same(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return a == b
