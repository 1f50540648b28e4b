"""Schema versions of the library. Each migration runs once, in order, in one transaction.

Add a migration by appending a function to ``MIGRATIONS``; never edit one that shipped.
``PRAGMA user_version`` holds the number of migrations applied.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from assistant.errors import LibraryError

V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE tracks (
    uri TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    artist_uri TEXT NOT NULL DEFAULT '',
    artist_name TEXT NOT NULL DEFAULT '',
    album_uri TEXT NOT NULL DEFAULT '',
    album_name TEXT NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tracks_artist ON tracks(artist_uri);

CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    imported_at REAL NOT NULL,
    num_playlists INTEGER NOT NULL DEFAULT 0,
    num_entries INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE playlists (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL CHECK (source IN ('mpd', 'spotify', 'file', 'local')),
    source_ref TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    num_followers INTEGER NOT NULL DEFAULT 0,
    modified_at INTEGER NOT NULL DEFAULT 0,
    collaborative INTEGER NOT NULL DEFAULT 0,
    snapshot_id TEXT NOT NULL DEFAULT '',
    num_tracks INTEGER NOT NULL DEFAULT 0,
    import_id INTEGER REFERENCES imports(id) ON DELETE SET NULL,
    UNIQUE (source, source_ref)
);
CREATE INDEX playlists_name ON playlists(name COLLATE NOCASE);

CREATE TABLE playlist_tracks (
    playlist_id INTEGER NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
    pos INTEGER NOT NULL,
    track_uri TEXT NOT NULL REFERENCES tracks(uri),
    PRIMARY KEY (playlist_id, pos)
) WITHOUT ROWID;

CREATE TABLE training_runs (
    id INTEGER PRIMARY KEY,
    model TEXT NOT NULL,
    config TEXT NOT NULL DEFAULT '{}',
    device TEXT NOT NULL DEFAULT '',
    data_fingerprint TEXT NOT NULL DEFAULT '',
    started_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'finished', 'cancelled', 'failed')),
    checkpoint_path TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT ''
);

CREATE TABLE training_epochs (
    run_id INTEGER NOT NULL REFERENCES training_runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    loss REAL NOT NULL,
    metrics TEXT NOT NULL DEFAULT '{}',
    seconds REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, epoch)
);

CREATE TABLE checkpoints (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    model TEXT NOT NULL,
    created_at REAL NOT NULL,
    metrics TEXT NOT NULL DEFAULT '{}',
    config TEXT NOT NULL DEFAULT '{}',
    data_fingerprint TEXT NOT NULL DEFAULT '',
    training_run_id INTEGER REFERENCES training_runs(id) ON DELETE SET NULL
);

CREATE TABLE recommendation_runs (
    id INTEGER PRIMARY KEY,
    playlist_id INTEGER REFERENCES playlists(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    checkpoint TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    k INTEGER NOT NULL,
    seeds TEXT NOT NULL DEFAULT '[]',
    unknown_seeds TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX recommendation_runs_playlist ON recommendation_runs(playlist_id, created_at);

CREATE TABLE recommendations (
    run_id INTEGER NOT NULL REFERENCES recommendation_runs(id) ON DELETE CASCADE,
    rank INTEGER NOT NULL,
    track_uri TEXT NOT NULL,
    score REAL NOT NULL,
    bias REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, rank)
);

CREATE TABLE explanations (
    run_id INTEGER NOT NULL REFERENCES recommendation_runs(id) ON DELETE CASCADE,
    track_uri TEXT NOT NULL,
    neighbor_uri TEXT NOT NULL,
    neighbor_kind TEXT NOT NULL DEFAULT 'track',
    attention REAL NOT NULL,
    contribution REAL NOT NULL,
    PRIMARY KEY (run_id, track_uri, neighbor_kind, neighbor_uri)
);

CREATE TABLE spotify_links (
    playlist_id INTEGER PRIMARY KEY REFERENCES playlists(id) ON DELETE CASCADE,
    spotify_playlist_id TEXT NOT NULL,
    mode TEXT NOT NULL DEFAULT 'create' CHECK (mode IN ('create', 'append')),
    base_count INTEGER NOT NULL DEFAULT 0,
    exported_count INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'started' CHECK (status IN ('started', 'done')),
    updated_at REAL NOT NULL
);
"""


def _v1(conn: sqlite3.Connection) -> None:
    for statement in V1.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v_scale(conn: sqlite3.Connection) -> None:
    """Indexes for a library of the whole MPD (1M playlists, 2.3M tracks).

    ``tracks_album``: ``stats()`` counts distinct albums by scanning it instead of
    sorting every album URI (5.7 s at 100 slices' 0.8M tracks, growing with the catalog).
    ``playlists_source_name``: the sidebar's per-source page (``WHERE source = ? ORDER BY
    name COLLATE NOCASE, id LIMIT n``) reads its first rows off the index instead of
    sorting every playlist of the source. Measured by tests/benchmarks/bench_import_full.py.
    """
    conn.execute("CREATE INDEX IF NOT EXISTS tracks_album ON tracks(album_uri)")
    conn.execute(
        "CREATE INDEX IF NOT EXISTS playlists_source_name "
        "ON playlists(source, name COLLATE NOCASE, id)"
    )


Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = [_v1, _v_scale]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> int:
    """Brings the schema up to :data:`SCHEMA_VERSION`; returns the version found before."""
    (found,) = conn.execute("PRAGMA user_version").fetchone()
    if found > SCHEMA_VERSION:
        raise LibraryError(
            f"This library was written by a newer Playlist Assistant (schema {found}, "
            f"this version knows {SCHEMA_VERSION}).",
            hint="Update the app, or open another library with --library PATH.",
        )
    for version in range(found, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[version](conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return found
