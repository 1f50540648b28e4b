"""The SQLite library over sqlite-utils.

One :class:`Library` object wraps one connection and belongs to the thread that opened it
(sqlite3 refuses use from another thread); a worker thread opens its own on the same path.
WAL mode lets the GUI read while a worker writes. Every logical write runs in one
transaction (``db.atomic()``), so a crash or a cancel leaves the library as it was.

Reads return domain dataclasses; nothing outside ``assistant.store`` writes SQL.

The methods live by concern in the sibling modules (``connection``: opening, pragmas,
transactions, errors; ``tracks``; ``playlists``; ``imports``; ``runs``: recommendation
runs; ``training``: training runs and checkpoints; ``spotify``: export records; ``meta``).
:class:`Library` combines them, and this module re-exports their public names, so callers
import everything from here.
"""

from __future__ import annotations

from assistant.store.connection import PAGE_SIZE, Connection
from assistant.store.imports import ImportResult, ImportsMixin
from assistant.store.meta import MetaMixin
from assistant.store.playlists import PlaylistsMixin
from assistant.store.runs import RunsMixin
from assistant.store.spotify import SpotifyLink, SpotifyMixin
from assistant.store.tracks import (
    PREFIX_WORDS,
    SEARCH_CANDIDATES,
    TRACK_COLUMNS,
    TrackRow,
    TracksMixin,
    search_order,
    search_words,
)
from assistant.store.training import CheckpointRecord, TrainingMixin, TrainingRun

__all__ = [
    "PAGE_SIZE",
    "PREFIX_WORDS",
    "SEARCH_CANDIDATES",
    "TRACK_COLUMNS",
    "CheckpointRecord",
    "ImportResult",
    "Library",
    "SpotifyLink",
    "TrackRow",
    "TrainingRun",
    "search_order",
    "search_words",
]


class Library(
    ImportsMixin,
    PlaylistsMixin,
    TracksMixin,
    RunsMixin,
    TrainingMixin,
    SpotifyMixin,
    MetaMixin,
    Connection,
):
    """The person's music library in one SQLite file.

    Args:
        path: the SQLite file; None means the per-user default. ``":memory:"`` is allowed
            (tests of single-threaded code).
    """
