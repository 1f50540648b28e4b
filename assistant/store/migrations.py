"""Schema versions of the library. Each migration runs once, in order, in one transaction.

Add a migration by appending a function to ``MIGRATIONS``; never edit one that shipped.
``PRAGMA user_version`` holds the number of migrations applied; ``PRAGMA application_id``
(:data:`APPLICATION_ID`) marks the file as a Playlist Assistant library, so another
program's SQLite file is recognised and refused before anything touches it (see
``Library.__init__``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import suppress

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


def _v_faults(conn: sqlite3.Connection) -> None:
    """Imports keyed per file; training runs remember their process.

    - ``imports.sha256`` loses its UNIQUE constraint: a CSV copied under another name is
      another playlist with the same content, and a file's import key is its path plus
      its latest content (see ``Library.import_playlists``). SQLite cannot drop a
      constraint, so the table is rebuilt (foreign keys are off during migrations, so
      the playlists pointing at it keep their ``import_id``).
    - ``training_runs.pid``: a run left ``running`` by a killed process is recognised
      (its pid is gone) and marked failed on the next start.
    - ``meta.library_id``: a random id that checkpoints record, so a checkpoint from
      another library is recognised (its held-out playlist ids mean nothing here).
    """
    conn.execute(
        "CREATE TABLE imports_new (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, "
        "path TEXT NOT NULL, sha256 TEXT NOT NULL, imported_at REAL NOT NULL, "
        "num_playlists INTEGER NOT NULL DEFAULT 0, num_entries INTEGER NOT NULL DEFAULT 0)"
    )
    conn.execute("INSERT INTO imports_new SELECT * FROM imports")
    conn.execute("DROP TABLE imports")
    conn.execute("ALTER TABLE imports_new RENAME TO imports")
    conn.execute("CREATE INDEX imports_sha256 ON imports(sha256)")
    conn.execute("CREATE INDEX imports_path ON imports(kind, path)")
    conn.execute("CREATE INDEX playlists_import ON playlists(import_id)")
    conn.execute("ALTER TABLE training_runs ADD COLUMN pid INTEGER NOT NULL DEFAULT 0")
    conn.execute("INSERT OR IGNORE INTO meta VALUES ('library_id', lower(hex(randomblob(16))))")


# Demo playlists carry pids from this one up (see assistant.sources.demo.PID_BASE; repeated
# here because a migration must not change when that module does).
_DEMO_PID_BASE = 9_000_000


def _v_demo_source(conn: sqlite3.Connection) -> None:
    """The synthetic demo catalog gets its own source ``demo``; its tracks are marked.

    Until now demo playlists were stored as ``mpd`` playlists (pids from 9,000,000 up,
    far above the real MPD's), so they were listed and trained on with the real MPD.
    SQLite cannot alter a CHECK constraint, and rebuilding ``playlists`` would cascade
    deletes into ``playlist_tracks``; SQLite's documented way to relax a CHECK constraint
    is to edit the stored schema text (https://sqlite.org/lang_altertable.html, "making
    other kinds of table schema changes"), which changes no stored row.
    """
    (sql,) = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'playlists'"
    ).fetchone()
    if "'demo'" not in sql:
        widened = sql.replace("'local')", "'local', 'demo')", 1)
        if widened == sql:
            raise LibraryError("Unexpected schema of the playlists table; cannot add 'demo'.")
        (schema_version,) = conn.execute("PRAGMA schema_version").fetchone()
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'playlists'",
            (widened,),
        )
        conn.execute(f"PRAGMA schema_version = {int(schema_version) + 1}")
        conn.execute("PRAGMA writable_schema = OFF")
    conn.execute("ALTER TABLE tracks ADD COLUMN synthetic INTEGER NOT NULL DEFAULT 0")
    conn.execute(
        "UPDATE playlists SET source = 'demo' WHERE source = 'mpd' "
        "AND CAST(source_ref AS INTEGER) >= ?",
        (_DEMO_PID_BASE,),
    )
    conn.execute("UPDATE imports SET kind = 'demo' WHERE path LIKE '%mpd.slice.demo-%'")
    conn.execute(
        "UPDATE tracks SET synthetic = 1 WHERE uri IN (SELECT pt.track_uri "
        "FROM playlist_tracks pt JOIN playlists p ON p.id = pt.playlist_id "
        "WHERE p.source = 'demo')"
    )


def _v_spotify(conn: sqlite3.Connection) -> None:
    """Spotify bookkeeping a real person needs.

    - ``spotify_exports`` replaces ``spotify_links``: one export record per (library
      playlist, Spotify playlist) instead of per library playlist. Appending a playlist to
      another Spotify playlist (``export --to``) used to overwrite the record of the one
      an earlier plain export had created, so the next plain export made a second Spotify
      playlist of the same name.
    - ``checkpoints.sources``: the playlist sources a checkpoint was trained on (a JSON
      list), so that "Disconnect Spotify" can delete every model trained on Spotify content.
    """
    conn.execute("ALTER TABLE checkpoints ADD COLUMN sources TEXT NOT NULL DEFAULT '[]'")
    conn.execute(
        """CREATE TABLE spotify_exports (
            playlist_id INTEGER NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
            spotify_playlist_id TEXT NOT NULL,
            mode TEXT NOT NULL DEFAULT 'create' CHECK (mode IN ('create', 'append')),
            base_count INTEGER NOT NULL DEFAULT 0,
            exported_count INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'started' CHECK (status IN ('started', 'done')),
            updated_at REAL NOT NULL,
            PRIMARY KEY (playlist_id, spotify_playlist_id)
        )"""
    )
    conn.execute(
        "INSERT INTO spotify_exports SELECT playlist_id, spotify_playlist_id, mode, "
        "base_count, exported_count, status, updated_at FROM spotify_links"
    )
    conn.execute("DROP TABLE spotify_links")


def _v_track_search(conn: sqlite3.Connection) -> None:
    """A full-text index over track title, artist and album (the window's "Find a track").

    FTS5 over ``tracks`` as its external content (no second copy of the texts), keyed by
    ``tracks``' rowid, with ``detail=none, columnsize=0``: word and prefix queries are
    all the search needs, and that index costs ~1 µs per new track, so imports keep
    their speed. New tracks are indexed in one statement per write by
    ``Library._write_tracks`` (a trigger per row cost 15 µs a track: a third of an MPD
    import); changed and deleted tracks, rare, by the triggers below. A VACUUM may
    renumber ``tracks``' rowids: ``Library.rebuild_track_search`` then rebuilds the index.
    """
    conn.execute(
        "CREATE VIRTUAL TABLE track_search USING fts5("
        "name, artist_name, album_name, content = 'tracks', content_rowid = 'rowid', "
        "detail = none, columnsize = 0, tokenize = 'unicode61 remove_diacritics 2')"
    )
    conn.execute("INSERT INTO track_search (track_search) VALUES ('rebuild')")
    # Its words, for turning a typed prefix into whole words (Library.search_tracks).
    conn.execute("CREATE VIRTUAL TABLE track_search_terms USING fts5vocab(track_search, 'row')")
    forget = (
        "INSERT INTO track_search (track_search, rowid, name, artist_name, album_name) "
        "VALUES ('delete', old.rowid, old.name, old.artist_name, old.album_name);"
    )
    learn = (
        "INSERT INTO track_search (rowid, name, artist_name, album_name) "
        "VALUES (new.rowid, new.name, new.artist_name, new.album_name);"
    )
    conn.execute(f"CREATE TRIGGER track_search_delete AFTER DELETE ON tracks BEGIN {forget} END")
    conn.execute(
        "CREATE TRIGGER track_search_update_before BEFORE UPDATE OF name, artist_name, "
        f"album_name ON tracks BEGIN {forget} END"
    )
    conn.execute(
        "CREATE TRIGGER track_search_update_after AFTER UPDATE OF name, artist_name, "
        f"album_name ON tracks BEGIN {learn} END"
    )


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
MIGRATIONS: list[Migration] = [
    _v1,
    _v_faults,
    _v_demo_source,
    _v_spotify,
    _v_track_search,
    _v_scale,
]
SCHEMA_VERSION = len(MIGRATIONS)
# "PlAs" in ASCII: the value of PRAGMA application_id in every library file.
APPLICATION_ID = 0x506C4173


def migrate(conn: sqlite3.Connection) -> int:
    """Brings the schema up to :data:`SCHEMA_VERSION`; returns the version found before."""
    (found,) = conn.execute("PRAGMA user_version").fetchone()
    if found > SCHEMA_VERSION:
        raise LibraryError(
            f"This library was written by a newer Playlist Assistant (schema {found}, "
            f"this version knows {SCHEMA_VERSION}).",
            hint="Update the app, or open another library with --library PATH.",
        )
    (foreign_keys,) = conn.execute("PRAGMA foreign_keys").fetchone()
    # Off while tables are rebuilt (SQLite's documented procedure): dropping a table
    # would otherwise null or delete the rows that refer to it.
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        for version in range(found, SCHEMA_VERSION):
            conn.execute("BEGIN IMMEDIATE")
            try:
                MIGRATIONS[version](conn)
                conn.execute(f"PRAGMA user_version = {version + 1}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        (app_id,) = conn.execute("PRAGMA application_id").fetchone()
        if app_id != APPLICATION_ID:  # a new file, or a library from before the id
            # A read-only library of ours is still readable; it is marked once writable.
            with suppress(sqlite3.OperationalError):
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    finally:
        conn.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
    return found
