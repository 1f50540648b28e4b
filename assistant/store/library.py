"""The SQLite library over sqlite-utils.

One :class:`Library` object wraps one connection and belongs to the thread that opened it
(sqlite3 refuses use from another thread); a worker thread opens its own on the same path.
WAL mode lets the GUI read while a worker writes. Every logical write runs in one
transaction (``db.atomic()``), so a crash or a cancel leaves the library as it was.

Reads return domain dataclasses; nothing outside ``assistant.store`` writes SQL.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson
import sqlite_utils

from assistant import process
from assistant.config import default_library_path
from assistant.domain import (
    SOURCES,
    Playlist,
    PlaylistSummary,
    Reason,
    Recommendation,
    RecommendationRun,
    Track,
)
from assistant.errors import InputError, LibraryError, NotFound
from assistant.store.migrations import APPLICATION_ID, migrate

# Column order of the tracks table, used by the bulk paths.
TRACK_COLUMNS = (
    "uri",
    "name",
    "artist_uri",
    "artist_name",
    "album_uri",
    "album_name",
    "duration_ms",
)
TrackRow = tuple[str, str, str, str, str, str, int]
_TRACK_SELECT = "SELECT " + ", ".join(TRACK_COLUMNS) + " FROM tracks"
_TRACK_INSERT = "INTO tracks (" + ", ".join(TRACK_COLUMNS) + ") VALUES "
# Page size of new library files (see Library.__init__).
PAGE_SIZE = 16384
_FIRST = itemgetter(0)
_TRACKS_PER_STATEMENT = 50


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What one imported file (or batch) added."""

    path: str
    playlists: int
    entries: int
    skipped: bool = False  # the same content was imported before: nothing done


@dataclass(frozen=True, slots=True)
class TrainingRun:
    id: int
    model: str
    status: str
    started_at: float
    finished_at: float | None
    device: str
    checkpoint_path: str
    message: str
    config: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CheckpointRecord:
    id: int
    path: str
    model: str
    created_at: float
    metrics: dict[str, Any]
    config: dict[str, Any]
    data_fingerprint: str
    sources: tuple[str, ...] = ()  # the playlist sources it was trained on


@dataclass(frozen=True, slots=True)
class SpotifyLink:
    playlist_id: int
    spotify_playlist_id: str
    mode: str
    base_count: int
    exported_count: int
    status: str
    updated_at: float


class Library:
    """The person's music library in one SQLite file.

    Args:
        path: the SQLite file; None means the per-user default. ``":memory:"`` is allowed
            (tests of single-threaded code).
    """

    def __init__(self, path: str | Path | None = None, *, create: bool = True) -> None:
        self.path = Path(path) if path not in (None, ":memory:") else path
        if self.path is None:
            self.path = default_library_path()
        target = str(self.path)
        #: True when this opening created the file (the CLI says where).
        self.created = target != ":memory:" and not _has_content(Path(target))
        if target != ":memory:":
            # Before SQLite writes anything (WAL mode, page size, tables): another
            # program's database must stay byte-identical.
            _check_library_file(Path(target), create=create)
        # A library on read-only media (or in a folder we may not write) is opened
        # read-only and immutable: SQLite could not create the WAL index beside it, and
        # reading works; any write then fails with a "read-only" LibraryError.
        self.read_only = target != ":memory:" and not _writable(Path(target))
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves (db.atomic()).
            if self.read_only:
                conn = sqlite3.connect(
                    f"{Path(target).resolve().as_uri()}?mode=ro&immutable=1",
                    uri=True,
                    isolation_level=None,
                    timeout=30.0,
                )
            else:
                conn = sqlite3.connect(target, isolation_level=None, timeout=30.0)
        except sqlite3.Error as exc:
            raise _database_error(exc, target, opening=True) from exc
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            if target != ":memory:" and not self.read_only:
                # Only takes effect on a new, empty file. 16 KiB pages (SQLite's default is
                # 4 KiB) quarter the number of WAL frames a bulk import writes and then
                # checkpoints (an MPD slice commits ~0.03 s faster); existing libraries keep
                # theirs, which is equally correct.
                conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
                with suppress(sqlite3.OperationalError):  # a read-only file stays as it is
                    conn.execute("PRAGMA journal_mode = WAL")
                # NORMAL is durable across application crashes in WAL mode; only a power
                # loss can drop the last commits, never corrupt the file.
                conn.execute("PRAGMA synchronous = NORMAL")
            migrate(conn)
        except sqlite3.Error as exc:
            conn.close()
            raise _database_error(exc, target, opening=True) from exc
        except BaseException:
            conn.close()
            raise
        self.db = sqlite_utils.Database(conn)
        self.conn = conn

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def atomic(self) -> Iterator[Library]:
        """One transaction; nested calls become savepoints.

        A database error (read-only file, disk full, locked too long) rolls the
        transaction back and becomes a :class:`LibraryError` that says what to do.
        """
        if self.conn.in_transaction:
            with self.db.atomic():
                yield self
            return
        with self._database_errors_explained(), self.db.atomic():
            yield self

    @contextmanager
    def _write_locked(self) -> Iterator[Library]:
        """One transaction that takes the write lock at once (``BEGIN IMMEDIATE``).

        What it reads before writing cannot be changed by another process meanwhile: two
        imports of the same file serialise, and the second sees the first's import.
        Nested in a transaction it is a savepoint.
        """
        if self.conn.in_transaction:
            with self.db.atomic():
                yield self
            return
        with self._database_errors_explained():
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _database_errors_explained(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError):
                raise  # a bug of ours, not a state of the file or the disk
            raise _database_error(exc, str(self.path)) from exc

    # -- imports -----------------------------------------------------------------------

    def has_import(self, sha256: str) -> bool:
        return (
            self.conn.execute("SELECT 1 FROM imports WHERE sha256 = ?", (sha256,)).fetchone()
            is not None
        )

    def import_playlists(
        self,
        *,
        kind: str,
        path: str,
        sha256: str,
        playlists: Sequence[Playlist],
        tracks: Iterable[TrackRow],
        overwrite_tracks: bool = False,
        keyed_by_path: bool = False,
    ) -> ImportResult:
        """Writes one file's playlists and tracks in one transaction.

        The rules (README, "Reliability"):

        - **Already imported** (a no-op, ``skipped``): content with this hash was imported
          before (MPD slices, Spotify snapshots, wherever the file lies now); with
          ``keyed_by_path`` (CSV, M3U: one playlist per file, named after it) only when
          *this path's* latest import had this content, so restoring an earlier version
          or importing a copy under another name is imported.
        - **A playlist belongs to the file that brought it in.** A file holding a playlist
          (same source and ref, e.g. an MPD pid) that another file brought in is refused
          whole, naming those playlists: nothing is replaced silently.
        - **The same path with new content** replaces its playlists in place (row ids
          stay) and takes over that path's earlier import rows, so each ``imports`` row
          counts exactly the playlists that point at it.

        The checks and the writes run under the write lock (``BEGIN IMMEDIATE``): two
        processes importing the same file serialise, and the second reports it skipped.

        Args:
            kind: "mpd", "csv", "spotify"...: recorded in ``imports``.
            path: where it came from, for the person to recognise.
            sha256: content hash of the file.
            playlists: the playlists with their ordered track URIs.
            tracks: rows in :data:`TRACK_COLUMNS` order for every URI the playlists use.
            overwrite_tracks: replace metadata of known tracks (else the first seen wins).
            keyed_by_path: see above.

        Raises:
            InputError: playlists another file brought in, or unknown tracks (nothing of
                the file was written).
        """
        if self._already_imported(kind, path, sha256, keyed_by_path):
            return ImportResult(path, 0, 0, skipped=True)
        rows = tracks if isinstance(tracks, list) else list(tracks)
        given = set(map(_FIRST, rows))
        entries = 0
        conflicts: list[tuple[str, str]] = []
        with self._references_checked_here(), self._write_locked():
            if self._already_imported(kind, path, sha256, keyed_by_path):
                return ImportResult(path, 0, 0, skipped=True)  # another process was first
            cur = self.conn.execute(
                "INSERT INTO imports (kind, path, sha256, imported_at) VALUES (?, ?, ?, ?)",
                (kind, path, sha256, time.time()),
            )
            import_id = int(cur.lastrowid or 0)
            self._write_tracks(rows, overwrite=overwrite_tracks)
            for playlist in playlists:
                owner = self.conn.execute(
                    "SELECT i.path FROM playlists p JOIN imports i ON i.id = p.import_id "
                    "WHERE p.source = ? AND p.source_ref = ?",
                    (playlist.source, playlist.source_ref),
                ).fetchone()
                if owner is not None and owner[0] != path:
                    conflicts.append((playlist.source_ref, owner[0]))
                    continue
                if not given.issuperset(playlist.track_uris):
                    self._check_known([u for u in playlist.track_uris if u not in given])
                self._write_playlist(playlist, import_id=import_id)
                entries += len(playlist.track_uris)
            if conflicts:
                raise _owned_elsewhere(path, playlists[0].source if playlists else "", conflicts)
            earlier = [
                row[0]
                for row in self.conn.execute(
                    "SELECT id FROM imports WHERE kind = ? AND path = ? AND id <> ?",
                    (kind, path, import_id),
                )
            ]
            for old in earlier:
                self.conn.execute(
                    "UPDATE playlists SET import_id = ? WHERE import_id = ?", (import_id, old)
                )
                self.conn.execute("DELETE FROM imports WHERE id = ?", (old,))
            self._recount_import(import_id)
        return ImportResult(path, len(playlists), entries)

    def _recount_import(self, import_id: int) -> None:
        self.conn.execute(
            "UPDATE imports SET (num_playlists, num_entries) = (SELECT count(*), "
            "coalesce(sum(num_tracks), 0) FROM playlists WHERE import_id = ?) WHERE id = ?",
            (import_id, import_id),
        )

    def _already_imported(self, kind: str, path: str, sha256: str, keyed_by_path: bool) -> bool:
        if not keyed_by_path:
            return self.has_import(sha256)
        row = self.conn.execute(
            "SELECT sha256, EXISTS (SELECT 1 FROM playlists WHERE import_id = imports.id) "
            "FROM imports WHERE kind = ? AND path = ? ORDER BY id DESC LIMIT 1",
            (kind, path),
        ).fetchone()
        # Its playlist deleted since: importing the file again brings it back.
        return row is not None and row[0] == sha256 and bool(row[1])

    @contextmanager
    def _references_checked_here(self) -> Iterator[None]:
        """Turns SQLite's foreign-key enforcement off for one bulk-import transaction.

        SQLite checks each playlist_tracks row against the tracks and playlists indexes
        (~1 µs a row: ~25% of the time spent writing an MPD slice, more as the library
        grows). ``import_playlists`` checks the same thing itself, cheaply, before writing
        a playlist: every track URI is among the rows it inserts in that transaction or
        already in the library, and the playlist id is the one it just inserted or looked
        up. The pragma cannot change inside a transaction, so nested in one (a savepoint)
        the enforcement simply stays on.
        """
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            yield
        finally:
            self.conn.execute("PRAGMA foreign_keys = ON")

    def _write_tracks(self, rows: Iterable[TrackRow], *, overwrite: bool) -> None:
        rows = rows if isinstance(rows, list) else list(rows)
        if not rows:
            return
        if set(map(len, rows)) != {len(TRACK_COLUMNS)}:
            # Checked up front: the batched statement below would misalign such a row.
            raise InputError(f"A track row must have {len(TRACK_COLUMNS)} values.")
        values = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * _TRACKS_PER_STATEMENT)
        conflict = (
            " ON CONFLICT(uri) DO UPDATE SET name=excluded.name, "
            "artist_uri=excluded.artist_uri, artist_name=excluded.artist_name, "
            "album_uri=excluded.album_uri, album_name=excluded.album_name, "
            "duration_ms=excluded.duration_ms"
            if overwrite
            else ""
        )
        verb = "INSERT" if overwrite else "INSERT OR IGNORE"
        # New rows get rowids above today's largest: the search index takes them in one
        # statement below (see migrations._v_track_search).
        (last_rowid,) = self.conn.execute("SELECT coalesce(max(rowid), 0) FROM tracks").fetchone()
        # Many rows per statement: binding is the same, but SQLite steps and resets one
        # statement per 50 rows instead of per row (an MPD slice's ~37k tracks: ~25%
        # faster). Rows still go in in order, so the first of two equal URIs wins.
        whole = len(rows) - len(rows) % _TRACKS_PER_STATEMENT
        if whole:
            flat = list(chain.from_iterable(rows[:whole]))
            width = _TRACKS_PER_STATEMENT * len(TRACK_COLUMNS)
            self.conn.executemany(
                f"{verb} {_TRACK_INSERT}{values}{conflict}",
                [flat[i : i + width] for i in range(0, len(flat), width)],
            )
        if whole < len(rows):
            self.conn.executemany(
                f"{verb} {_TRACK_INSERT}(?, ?, ?, ?, ?, ?, ?){conflict}", rows[whole:]
            )
        self.conn.execute(
            "INSERT INTO track_search (rowid, name, artist_name, album_name) "
            "SELECT rowid, name, artist_name, album_name FROM tracks WHERE rowid > ?",
            (last_rowid,),
        )

    def _write_playlist(self, playlist: Playlist, *, import_id: int | None = None) -> int:
        if playlist.source not in SOURCES:
            raise InputError(f"Unknown playlist source {playlist.source!r}.")
        values = (
            playlist.name,
            playlist.description,
            playlist.num_followers,
            playlist.modified_at,
            int(playlist.collaborative),
            playlist.snapshot_id,
            len(playlist.track_uris),
        )
        row = self.conn.execute(
            "SELECT id FROM playlists WHERE source = ? AND source_ref = ?",
            (playlist.source, playlist.source_ref),
        ).fetchone()
        if row is None:
            cur = self.conn.execute(
                "INSERT INTO playlists (source, source_ref, name, description, num_followers, "
                "modified_at, collaborative, snapshot_id, num_tracks, import_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (playlist.source, playlist.source_ref, *values, import_id),
            )
            playlist_id = int(cur.lastrowid or 0)
        else:
            playlist_id = int(row[0])
            self.conn.execute(
                "UPDATE playlists SET name=?, description=?, num_followers=?, modified_at=?, "
                "collaborative=?, snapshot_id=?, num_tracks=?, import_id=COALESCE(?, import_id) "
                "WHERE id=?",
                (*values, import_id, playlist_id),
            )
            self.conn.execute("DELETE FROM playlist_tracks WHERE playlist_id = ?", (playlist_id,))
        # One statement per playlist: SQLite unpacks the JSON array itself (json_each's
        # key is the 0-based position), ~30% faster than binding each row from Python.
        self.conn.execute(
            "INSERT INTO playlist_tracks (playlist_id, pos, track_uri) "
            "SELECT ?, key, value FROM json_each(?)",
            (playlist_id, orjson.dumps(list(playlist.track_uris)).decode()),
        )
        playlist.id = playlist_id
        return playlist_id

    def imports(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM imports ORDER BY id"))

    # -- playlists: writes -------------------------------------------------------------

    def save_playlist(self, playlist: Playlist, tracks: Iterable[Track] = ()) -> int:
        """Inserts or replaces one playlist (matched on source + source_ref) atomically.

        ``tracks`` adds metadata for URIs the library does not know yet; every URI of the
        playlist must be known afterwards. A ``local`` playlist without a ``source_ref``
        gets a fresh one.
        """
        with self.atomic():
            self._write_tracks((_track_row(t) for t in tracks), overwrite=False)
            if playlist.source == "local" and not playlist.source_ref:
                playlist.source_ref = f"local-{time.time_ns()}"
            self._check_known(playlist.track_uris)
            return self._write_playlist(playlist)

    def create_local_playlist(self, name: str, track_uris: Sequence[str] = ()) -> int:
        return self.save_playlist(Playlist(name=name, track_uris=list(track_uris), source="local"))

    def set_playlist_tracks(self, playlist_id: int, track_uris: Sequence[str]) -> None:
        """Replaces the ordered tracks of a playlist (reorder, add, remove) in one go."""
        playlist = self.playlist(playlist_id)
        playlist.track_uris = list(track_uris)
        with self.atomic():
            self._check_known(playlist.track_uris)
            self._write_playlist(playlist)

    def rename_playlist(self, playlist_id: int, name: str) -> None:
        with self.atomic():
            cur = self.conn.execute(
                "UPDATE playlists SET name = ? WHERE id = ?", (name, playlist_id)
            )
            if cur.rowcount == 0:
                raise NotFound(f"No playlist with id {playlist_id}.")

    def delete_playlist(self, playlist_id: int) -> None:
        with self.atomic():
            row = self.conn.execute(
                "SELECT import_id FROM playlists WHERE id = ?", (playlist_id,)
            ).fetchone()
            self.conn.execute("DELETE FROM playlists WHERE id = ?", (playlist_id,))
            if row is not None and row[0] is not None:
                self._recount_import(row[0])  # its imports row keeps counting truly

    def delete_source(self, source: str) -> int:
        """Deletes every playlist of a source (and tracks no other playlist uses).

        Used by "Disconnect Spotify". Returns the number of playlists deleted.
        """
        with self.atomic():
            cur = self.conn.execute("DELETE FROM playlists WHERE source = ?", (source,))
            self.conn.execute("DELETE FROM imports WHERE kind = ?", (source,))
            self._delete_orphan_tracks()
            return cur.rowcount

    def _delete_orphan_tracks(self) -> None:
        # NOT IN builds one temporary index of the used URIs; the correlated NOT EXISTS
        # it replaces scanned playlist_tracks (no index on track_uri) once per track:
        # 5 s for the demo catalog's 5.5k tracks, so "Disconnect" and "Remove demo" hung.
        self.conn.execute(
            "DELETE FROM tracks WHERE uri NOT IN (SELECT track_uri FROM playlist_tracks)"
        )

    def _check_known(self, uris: Sequence[str]) -> None:
        missing = [u for u in dict.fromkeys(uris) if not self._track_exists(u)]
        if missing:
            raise InputError(
                f"{len(missing)} track(s) are not in the library, e.g. {missing[0]}.",
                hint="Import them first (MPD, CSV or Spotify), or give their metadata.",
            )

    def _track_exists(self, uri: str) -> bool:
        return (
            self.conn.execute("SELECT 1 FROM tracks WHERE uri = ?", (uri,)).fetchone() is not None
        )

    # -- playlists: reads --------------------------------------------------------------

    def playlists(
        self, search: str | None = None, *, source: str | None = None, limit: int | None = None
    ) -> list[PlaylistSummary]:
        """Playlists for the browser, by name; ``search`` matches name substrings."""
        where, params = [], []
        if search:
            where.append("name LIKE ? ESCAPE '\\'")
            escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params.append(f"%{escaped}%")
        if source:
            where.append("source = ?")
            params.append(source)
        sql = "SELECT id, source, source_ref, name, num_tracks FROM playlists"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY name COLLATE NOCASE, id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [PlaylistSummary(*row) for row in self.conn.execute(sql, params)]

    def playlist(self, playlist_id: int) -> Playlist:
        row = self.conn.execute(
            "SELECT id, source, source_ref, name, description, num_followers, modified_at, "
            "collaborative, snapshot_id FROM playlists WHERE id = ?",
            (playlist_id,),
        ).fetchone()
        if row is None:
            raise NotFound(
                f"No playlist with id {playlist_id}.",
                hint="List playlists with `playlist-assistant playlists --search TEXT`.",
            )
        uris = [
            r[0]
            for r in self.conn.execute(
                "SELECT track_uri FROM playlist_tracks WHERE playlist_id = ? ORDER BY pos",
                (playlist_id,),
            )
        ]
        return Playlist(
            id=row[0],
            source=row[1],
            source_ref=row[2],
            name=row[3],
            description=row[4],
            num_followers=row[5],
            modified_at=row[6],
            collaborative=bool(row[7]),
            snapshot_id=row[8],
            track_uris=uris,
        )

    def find_playlist(self, ref: str | int) -> Playlist:
        """A playlist by row id (``42``), by ``source:source_ref`` (``mpd:1099``) or exact name."""
        text = str(ref).strip()
        if text.isdigit():
            return self.playlist(int(text))
        source, _, source_ref = text.partition(":")
        if source in SOURCES and source_ref:
            row = self.conn.execute(
                "SELECT id FROM playlists WHERE source = ? AND source_ref = ?", (source, source_ref)
            ).fetchone()
            if row:
                return self.playlist(row[0])
        rows = self.conn.execute(
            "SELECT id FROM playlists WHERE name = ? COLLATE NOCASE ORDER BY id LIMIT 2", (text,)
        ).fetchall()
        if len(rows) == 1:
            return self.playlist(rows[0][0])
        if len(rows) > 1:
            raise InputError(
                f"More than one playlist is named {text!r}.",
                hint="Name it by id instead (see `playlist-assistant playlists --search`).",
            )
        raise NotFound(
            f"No playlist {text!r}.",
            hint="Name a playlist by id, by source:ref (e.g. mpd:1099) or by its exact name.",
        )

    def count_playlists(self, source: str | None = None) -> int:
        if source:
            return self.conn.execute(
                "SELECT count(*) FROM playlists WHERE source = ?", (source,)
            ).fetchone()[0]
        return self.conn.execute("SELECT count(*) FROM playlists").fetchone()[0]

    def source_sizes(self) -> dict[str, tuple[int, int]]:
        """{source: (playlists, playlist entries)}."""
        return {
            source: (int(n), int(entries or 0))
            for source, n, entries in self.conn.execute(
                "SELECT source, count(*), sum(num_tracks) FROM playlists GROUP BY source"
            )
        }

    def source_counts(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT source, count(*) FROM playlists GROUP BY source"))

    # -- tracks ------------------------------------------------------------------------

    def tracks(self, uris: Iterable[str]) -> dict[str, Track]:
        """Metadata of the given URIs that the library knows (unknown ones are absent)."""
        wanted = list(dict.fromkeys(uris))
        found: dict[str, Track] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(f"{_TRACK_SELECT} WHERE uri IN ({marks})", chunk):
                found[row[0]] = Track(*row)
        return found

    def track(self, uri: str) -> Track:
        found = self.tracks([uri])
        if uri not in found:
            raise NotFound(f"No track {uri} in the library.")
        return found[uri]

    def add_tracks(self, tracks: Iterable[Track], *, overwrite: bool = False) -> None:
        with self.atomic():
            self._write_tracks((_track_row(t) for t in tracks), overwrite=overwrite)

    def search_tracks(self, text: str, limit: int = 200) -> list[Track]:
        """Tracks whose title, artist or album hold every word of ``text``, a word of
        three or more letters also as the start of a word ("cold clo" finds "Clocks –
        Coldplay"), best matches first.

        Uses the FTS5 index ``track_search`` (migration ``_v_track_search``). A prefix
        query ("clo"*) makes FTS5 merge the postings of every matching word before the
        first answer (over 100 ms for a common word at 1M tracks), so a typed word is
        first turned into up to ``PREFIX_WORDS`` whole words of the index
        (``track_search_terms``) and those are OR-ed: FTS5 then reads them lazily and
        stops at the limit. FTS5's own ranking would score every match, so the first
        ``SEARCH_CANDIDATES`` matches are ranked here (``search_order``).
        """
        words = search_words(text)
        if not words:
            return []
        groups = []
        for word in words:
            alternatives = [word]
            if len(word) >= 3:
                alternatives += [
                    term
                    for (term,) in self.conn.execute(
                        "SELECT term FROM track_search_terms WHERE term > ? AND term < ? LIMIT ?",
                        (word, word + "\U0010ffff", PREFIX_WORDS),
                    )
                ]
            groups.append("(" + " OR ".join(f'"{a}"' for a in alternatives) + ")")
        rows = self.conn.execute(
            "SELECT t.* FROM (SELECT rowid FROM track_search WHERE track_search MATCH ? "
            "LIMIT ?) AS s JOIN tracks AS t ON t.rowid = s.rowid",
            (" AND ".join(groups), SEARCH_CANDIDATES),
        ).fetchall()
        tracks = [Track(*row) for row in rows]
        tracks.sort(key=lambda t: search_order(t, words))
        return tracks[: int(limit)]

    def playlist_origin(self, playlist_id: int) -> tuple[str, str, float] | None:
        """(kind, path, imported_at) of the import that brought a playlist in, if any."""
        row = self.conn.execute(
            "SELECT i.kind, i.path, i.imported_at FROM playlists AS p "
            "JOIN imports AS i ON i.id = p.import_id WHERE p.id = ?",
            (playlist_id,),
        ).fetchone()
        return (row[0], row[1], float(row[2])) if row else None

    def rebuild_track_search(self) -> None:
        """Rebuilds the track search index from ``tracks`` (after a VACUUM, say)."""
        self.conn.execute("INSERT INTO track_search (track_search) VALUES ('rebuild')")

    def iter_all_tracks(self) -> Iterator[Track]:
        for row in self.conn.execute(f"{_TRACK_SELECT} ORDER BY uri"):
            yield Track(*row)

    # -- synthetic (demo) tracks -------------------------------------------------------

    def mark_synthetic(self, uris: Iterable[str]) -> None:
        """Marks tracks as invented (the demo catalog's): never proposed for a real
        playlist, never exported to Spotify."""
        with self.atomic():
            self.conn.executemany(
                "UPDATE tracks SET synthetic = 1 WHERE uri = ?", ((u,) for u in uris)
            )

    def synthetic_uris(self, uris: Iterable[str] | None = None) -> set[str]:
        """The synthetic tracks among ``uris`` (all of the library's when None)."""
        if uris is None:
            return {r[0] for r in self.conn.execute("SELECT uri FROM tracks WHERE synthetic")}
        wanted = list(dict.fromkeys(uris))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(
                r[0]
                for r in self.conn.execute(
                    f"SELECT uri FROM tracks WHERE synthetic AND uri IN ({marks})", chunk
                )
            )
        return found

    def popular_tracks(
        self, limit: int, *, exclude_synthetic: bool = True, sample: int = 500_000
    ) -> list[tuple[str, int]]:
        """The library's most used tracks: (uri, number of playlist entries), most first.

        Counted over the first ``sample`` playlist entries, so the answer stays quick
        (~0.3 s) in a library of the full MPD's 66 million entries; below that size it
        is exact.
        """
        synthetic = "AND NOT t.synthetic" if exclude_synthetic else ""
        return [
            (uri, int(n))
            for uri, n in self.conn.execute(
                "SELECT s.track_uri, count(*) AS n FROM "
                "(SELECT track_uri FROM playlist_tracks LIMIT ?) s "
                f"JOIN tracks t ON t.uri = s.track_uri WHERE 1 {synthetic} "
                "GROUP BY s.track_uri ORDER BY n DESC, s.track_uri LIMIT ?",
                (int(sample), int(limit)),
            )
        ]

    # -- graph data --------------------------------------------------------------------

    def interaction_rows(
        self,
        source: str | None = None,
        *,
        exclude_sources: Sequence[str] = (),
        max_mpd_pid: int | None = None,
    ) -> Iterator[tuple[int, str]]:
        """(playlist_id, track_uri) for every playlist entry, by playlist then position.

        Args:
            source: only this source's playlists.
            exclude_sources: leave these sources' playlists out.
            max_mpd_pid: only MPD playlists with a pid below this (other sources too are
                left out then).
        """
        where, params = [], []
        if source:
            where.append("p.source = ?")
            params.append(source)
        if exclude_sources:
            where.append(f"p.source NOT IN ({', '.join('?' * len(exclude_sources))})")
            params.extend(exclude_sources)
        if max_mpd_pid is not None:
            where.append("p.source = 'mpd' AND CAST(p.source_ref AS INTEGER) < ?")
            params.append(max_mpd_pid)
        if not where:  # no join needed
            yield from self.conn.execute(
                "SELECT playlist_id, track_uri FROM playlist_tracks ORDER BY playlist_id, pos"
            )
            return
        yield from self.conn.execute(
            "SELECT pt.playlist_id, pt.track_uri FROM playlist_tracks pt "
            "JOIN playlists p ON p.id = pt.playlist_id WHERE "
            + " AND ".join(where)
            + " ORDER BY pt.playlist_id, pt.pos",
            params,
        )

    def data_fingerprint(self) -> str:
        """Changes whenever playlists or their tracks change (cheap: counts and max ids)."""
        n_pl, max_id = self.conn.execute(
            "SELECT count(*), coalesce(max(id), 0) FROM playlists"
        ).fetchone()
        n_entries = self.conn.execute(
            "SELECT coalesce(sum(num_tracks), 0) FROM playlists"
        ).fetchone()[0]
        n_tracks = self.conn.execute("SELECT count(*) FROM tracks").fetchone()[0]
        return f"p{n_pl}-m{max_id}-e{n_entries}-t{n_tracks}"

    def stats(self) -> dict[str, int]:
        one = lambda sql: self.conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "playlists": one("SELECT count(*) FROM playlists"),
            "entries": one("SELECT coalesce(sum(num_tracks), 0) FROM playlists"),
            "tracks": one("SELECT count(*) FROM tracks"),
            "artists": one("SELECT count(DISTINCT artist_uri) FROM tracks"),
            "albums": one("SELECT count(DISTINCT album_uri) FROM tracks"),
            "imports": one("SELECT count(*) FROM imports"),
            "recommendation_runs": one("SELECT count(*) FROM recommendation_runs"),
            "training_runs": one("SELECT count(*) FROM training_runs"),
        }

    # -- recommendations ---------------------------------------------------------------

    def save_recommendation_run(
        self,
        *,
        playlist_id: int | None,
        model: str,
        checkpoint: str,
        seeds: Sequence[str],
        unknown_seeds: Sequence[str],
        recommendations: Sequence[Recommendation],
    ) -> int:
        """Stores a run with its recommendations and explanations; returns the run id.

        A run that repeats a stored one (same playlist, checkpoint, seeds and proposals:
        a refresh after an unrelated import, a filter set back) is not stored again; the
        stored one becomes the newest and its id is returned.
        """
        with self.atomic():
            same = self._same_run(playlist_id, checkpoint, seeds, recommendations)
            if same is not None:
                self.conn.execute(
                    "UPDATE recommendation_runs SET created_at = ?, model = ? WHERE id = ?",
                    (time.time(), model, same),
                )
                return same
            cur = self.conn.execute(
                "INSERT INTO recommendation_runs (playlist_id, model, checkpoint, created_at, k, "
                "seeds, unknown_seeds) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    playlist_id,
                    model,
                    checkpoint,
                    time.time(),
                    len(recommendations),
                    json.dumps(list(seeds)),
                    json.dumps(list(unknown_seeds)),
                ),
            )
            run_id = int(cur.lastrowid or 0)
            self.conn.executemany(
                "INSERT INTO recommendations VALUES (?, ?, ?, ?, ?)",
                ((run_id, r.rank, r.track_uri, r.score, r.bias) for r in recommendations),
            )
            self.conn.executemany(
                "INSERT INTO explanations VALUES (?, ?, ?, ?, ?, ?)",
                (
                    (
                        run_id,
                        r.track_uri,
                        x.neighbor_uri,
                        x.kind,
                        x.attention,
                        x.contribution,
                    )
                    for r in recommendations
                    for x in r.reasons
                ),
            )
        return run_id

    def _same_run(
        self,
        playlist_id: int | None,
        checkpoint: str,
        seeds: Sequence[str],
        recommendations: Sequence[Recommendation],
    ) -> int | None:
        wanted = [r.track_uri for r in recommendations]
        for (run_id,) in self.conn.execute(
            "SELECT id FROM recommendation_runs WHERE playlist_id IS ? AND checkpoint = ? "
            "AND seeds = ? ORDER BY created_at DESC LIMIT 20",
            (playlist_id, checkpoint, json.dumps(list(seeds))),
        ).fetchall():
            stored = [
                u
                for (u,) in self.conn.execute(
                    "SELECT track_uri FROM recommendations WHERE run_id = ? ORDER BY rank",
                    (run_id,),
                )
            ]
            if stored == wanted:
                return int(run_id)
        return None

    def recommendation_runs(
        self, playlist_id: int | None = None, limit: int = 50
    ) -> list[RecommendationRun]:
        """Past runs, newest first (for one playlist when given)."""
        sql = "SELECT id, playlist_id, model, checkpoint, created_at, k FROM recommendation_runs"
        params: list[Any] = []
        if playlist_id is not None:
            sql += " WHERE playlist_id = ?"
            params.append(playlist_id)
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        params.append(limit)
        return [RecommendationRun(*row) for row in self.conn.execute(sql, params)]

    def recommendations(self, run_id: int) -> list[Recommendation]:
        reasons: dict[str, list[Reason]] = {}
        for uri, n_uri, kind, att, contrib in self.conn.execute(
            "SELECT track_uri, neighbor_uri, neighbor_kind, attention, contribution FROM explanations "
            "WHERE run_id = ? ORDER BY track_uri, contribution DESC",
            (run_id,),
        ):
            # v1 stored a seed's kind as "track" (the column's default): the same thing.
            kind = "seed" if kind == "track" else kind
            reasons.setdefault(uri, []).append(Reason(n_uri, att, contrib, kind))
        return [
            Recommendation(rank, uri, score, bias, tuple(reasons.get(uri, ())))
            for rank, uri, score, bias in self.conn.execute(
                "SELECT rank, track_uri, score, bias FROM recommendations WHERE run_id = ? ORDER BY rank",
                (run_id,),
            )
        ]

    # -- training runs and checkpoints -------------------------------------------------

    def start_training_run(
        self, *, model: str, config: dict[str, Any], device: str, data_fingerprint: str
    ) -> int:
        """Records a run as ``running`` with this process's pid (see :meth:`fail_stale_training_runs`)."""
        with self.atomic():
            self.fail_stale_training_runs()
            cur = self.conn.execute(
                "INSERT INTO training_runs (model, config, device, data_fingerprint, started_at, "
                "pid) VALUES (?, ?, ?, ?, ?, ?)",
                (model, json.dumps(config), device, data_fingerprint, time.time(), os.getpid()),
            )
            return int(cur.lastrowid or 0)

    def fail_stale_training_runs(self) -> int:
        """Marks ``failed`` the runs left ``running`` by a process that is gone (kill -9,
        a crash, a power loss); returns how many. A run of a live process is left alone.
        """
        stale = [
            (run_id, pid)
            for run_id, pid in self.conn.execute(
                "SELECT id, pid FROM training_runs WHERE status = 'running'"
            )
            if not process.alive(pid)
        ]
        if not stale:
            return 0
        with self.atomic():
            for run_id, pid in stale:
                self.conn.execute(
                    "UPDATE training_runs SET status = 'failed', finished_at = ?, message = ? "
                    "WHERE id = ? AND status = 'running'",
                    (
                        time.time(),
                        f"interrupted: the process that ran it (pid {pid}) ended without "
                        "finishing it (killed or crashed); nothing was saved",
                        run_id,
                    ),
                )
        return len(stale)

    def log_epoch(
        self, run_id: int, epoch: int, loss: float, metrics: dict[str, float], seconds: float
    ) -> None:
        with self.atomic():
            self.conn.execute(
                "INSERT OR REPLACE INTO training_epochs VALUES (?, ?, ?, ?, ?)",
                (run_id, epoch, loss, json.dumps(metrics), seconds),
            )

    def finish_training_run(
        self, run_id: int, *, status: str, checkpoint_path: str = "", message: str = ""
    ) -> None:
        with self.atomic():
            self.conn.execute(
                "UPDATE training_runs SET status = ?, finished_at = ?, checkpoint_path = ?, message = ? "
                "WHERE id = ?",
                (status, time.time(), checkpoint_path, message, run_id),
            )

    def training_runs(self, limit: int = 50) -> list[TrainingRun]:
        rows = self.conn.execute(
            "SELECT id, model, status, started_at, finished_at, device, checkpoint_path, message, config "
            "FROM training_runs ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [TrainingRun(*row[:8], json.loads(row[8])) for row in rows]

    def training_epochs(self, run_id: int) -> list[dict[str, Any]]:
        return [
            {"epoch": e, "loss": loss, "seconds": s, **json.loads(m)}
            for e, loss, m, s in self.conn.execute(
                "SELECT epoch, loss, metrics, seconds FROM training_epochs WHERE run_id = ? ORDER BY epoch",
                (run_id,),
            )
        ]

    def register_checkpoint(
        self,
        *,
        path: str,
        model: str,
        metrics: dict[str, Any],
        config: dict[str, Any],
        data_fingerprint: str,
        training_run_id: int | None = None,
        sources: Sequence[str] = (),
    ) -> int:
        with self.atomic():
            self.conn.execute(
                "INSERT INTO checkpoints (path, model, created_at, metrics, config, data_fingerprint, "
                "training_run_id, sources) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO "
                "UPDATE SET model=excluded.model, created_at=excluded.created_at, "
                "metrics=excluded.metrics, config=excluded.config, "
                "data_fingerprint=excluded.data_fingerprint, "
                "training_run_id=excluded.training_run_id, sources=excluded.sources",
                (
                    path,
                    model,
                    time.time(),
                    json.dumps(metrics),
                    json.dumps(config),
                    data_fingerprint,
                    training_run_id,
                    json.dumps(list(sources)),
                ),
            )
            return self.conn.execute(
                "SELECT id FROM checkpoints WHERE path = ?", (path,)
            ).fetchone()[0]

    def checkpoints(self) -> list[CheckpointRecord]:
        return [
            CheckpointRecord(
                i, p, m, c, json.loads(met), json.loads(cfg), fp, tuple(json.loads(src))
            )
            for i, p, m, c, met, cfg, fp, src in self.conn.execute(
                "SELECT id, path, model, created_at, metrics, config, data_fingerprint, sources "
                "FROM checkpoints ORDER BY created_at DESC, id DESC"
            )
        ]

    def set_checkpoint_metrics(self, path: str, metrics: dict[str, Any]) -> None:
        """Replaces the stored metrics of a registered checkpoint (e.g. its score on
        this library, measured after it was registered)."""
        with self.atomic():
            self.conn.execute(
                "UPDATE checkpoints SET metrics = ? WHERE path = ?", (json.dumps(metrics), path)
            )

    def delete_checkpoint_record(self, path: str) -> None:
        with self.atomic():
            self.conn.execute("DELETE FROM checkpoints WHERE path = ?", (path,))

    # -- Spotify export bookkeeping ----------------------------------------------------

    def spotify_links(self, playlist_id: int) -> list[SpotifyLink]:
        """Every Spotify playlist this library playlist was exported to, latest first."""
        return [
            SpotifyLink(*row)
            for row in self.conn.execute(
                "SELECT playlist_id, spotify_playlist_id, mode, base_count, exported_count, "
                "status, updated_at FROM spotify_exports WHERE playlist_id = ? "
                "ORDER BY updated_at DESC",
                (playlist_id,),
            )
        ]

    def spotify_link(
        self, playlist_id: int, *, mode: str | None = None, spotify_playlist_id: str | None = None
    ) -> SpotifyLink | None:
        """The latest export record of a playlist (of that mode, or to that playlist)."""
        for link in self.spotify_links(playlist_id):
            if mode is not None and link.mode != mode:
                continue
            if spotify_playlist_id is not None and link.spotify_playlist_id != spotify_playlist_id:
                continue
            return link
        return None

    def set_spotify_link(self, link: SpotifyLink) -> None:
        with self.atomic():
            self.conn.execute(
                "INSERT OR REPLACE INTO spotify_exports VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    link.playlist_id,
                    link.spotify_playlist_id,
                    link.mode,
                    link.base_count,
                    link.exported_count,
                    link.status,
                    link.updated_at,
                ),
            )

    def delete_spotify_link(self, playlist_id: int, spotify_playlist_id: str) -> None:
        with self.atomic():
            self.conn.execute(
                "DELETE FROM spotify_exports WHERE playlist_id = ? AND spotify_playlist_id = ?",
                (playlist_id, spotify_playlist_id),
            )

    def delete_spotify_links(self) -> None:
        with self.atomic():
            self.conn.execute("DELETE FROM spotify_exports")

    # -- settings stored with the data -------------------------------------------------

    def library_id(self) -> str:
        """This library's random id (recorded in the checkpoints trained on it)."""
        return self.get_meta("library_id", "") or ""

    def track_coverage(self, known_uris: Iterable[str]) -> tuple[int, int]:
        """(how many, of all) of the library's tracks are in ``known_uris``.

        Reads the tracks table (a few million rows at most), not every playlist entry.
        """
        known = known_uris if isinstance(known_uris, set | frozenset) else set(known_uris)
        total = hits = 0
        for (uri,) in self.conn.execute("SELECT uri FROM tracks"):
            total += 1
            hits += uri in known
        return hits, total

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.atomic():
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @contextmanager
    def bulk_writes(self, *, cache_mib: int = 64, checkpoint_mib: int = 64) -> Iterator[None]:
        """Settings for a run of large transactions (an MPD import), restored afterwards.

        - A page cache of ``cache_mib`` (see :meth:`set_cache_size`).
        - The WAL is checkpointed (copied into the database file, then fsync'ed) once it
          holds ``checkpoint_mib`` instead of SQLite's 1,000 pages: with one transaction
          per slice file (~10 MB of pages) that was a checkpoint after nearly every file,
          re-copying the same hot index pages each time (~25% of the commit time, plus
          the fsync waits). Each transaction is still committed to the WAL when it ends,
          so a crash or kill keeps every finished file; with ``synchronous=NORMAL`` only a
          power loss can drop the last commits (as before, just more of them), never
          leave a file half imported.

        On exit the WAL is checkpointed once (PASSIVE), so the next small write does not
        pay for the import's frames.
        """
        (cache_before,) = self.conn.execute("PRAGMA cache_size").fetchone()
        (autocheckpoint_before,) = self.conn.execute("PRAGMA wal_autocheckpoint").fetchone()
        (page_size,) = self.conn.execute("PRAGMA page_size").fetchone()
        self.set_cache_size(cache_mib)
        self.conn.execute(f"PRAGMA wal_autocheckpoint = {(checkpoint_mib << 20) // page_size}")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA wal_autocheckpoint = {int(autocheckpoint_before)}")
            self.conn.execute(f"PRAGMA cache_size = {int(cache_before)}")
            if not self.conn.in_transaction:
                # Every import is committed to the WAL already: a checkpoint that fails
                # (disk full, read-only) loses nothing and SQLite retries it later.
                with suppress(sqlite3.OperationalError):
                    self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def set_cache_size(self, mib: int) -> None:
        """Sets this connection's SQLite page cache (default ~2 MiB).

        Bulk imports call it with ~64 MiB: once the tracks table outgrows the default
        cache, every insert into its indexes misses it and an MPD slice takes ~40% longer.
        """
        self.conn.execute(f"PRAGMA cache_size = -{int(mib) * 1024}")


# The tables of the first schema: a file without an application id that has them all
# (and a user_version) is a library from before the id, adopted as ours.
_V1_TABLES = frozenset(
    (
        "meta",
        "tracks",
        "imports",
        "playlists",
        "playlist_tracks",
        "training_runs",
        "training_epochs",
        "checkpoints",
        "recommendation_runs",
        "recommendations",
        "explanations",
        "spotify_links",
    )
)
_SQLITE_MAGIC = b"SQLite format 3\x00"
_CHOOSE_ANOTHER = (
    "Choose another file with --library PATH (or Settings → Data directory); "
    "the file was left untouched."
)


def _has_content(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False


def _writable(path: Path) -> bool:
    """Whether SQLite can write the file and create its WAL files beside it."""
    if not path.exists():
        return True  # created (or refused) by _check_library_file
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def _check_library_file(path: Path, *, create: bool) -> None:
    """Refuses, before SQLite touches it, a file that is not a library of ours.

    Raises:
        NotFound: no library there and ``create`` is False.
        LibraryError: another program's file, or a place where none can be created.
    """
    if path.is_dir():
        raise LibraryError(
            f"{path} is a folder, not a library file.",
            hint=f"Give a file path, e.g. --library {path / 'library.sqlite'}.",
        )
    if not _has_content(path):
        if not create:
            raise NotFound(
                f"There is no library at {path}.",
                hint="Check the --library PATH, or create one by importing playlists "
                "(`import-file`, `import-mpd`, `demo`).",
            )
        parent = path.parent
        if not parent.is_dir():
            what = "is not a folder" if parent.exists() else "does not exist"
            raise LibraryError(
                f"Cannot create the library {path}: {parent} {what}.",
                hint="Create the folder first, or choose another --library PATH.",
            )
        if not os.access(parent, os.W_OK | os.X_OK):
            raise LibraryError(
                f"Cannot create the library {path}: the folder {parent} is not writable.",
                hint="Choose a folder you can write to with --library PATH.",
            )
        return
    try:
        with path.open("rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        raise LibraryError(
            f"Cannot read the library {path} ({exc.strerror}).",
            hint="Check the file's permissions, or choose another --library PATH.",
        ) from exc
    if not head.startswith(_SQLITE_MAGIC) or len(head) < 100:
        raise LibraryError(
            f"{path} is not a Playlist Assistant library (not an SQLite database).",
            hint=_CHOOSE_ANOTHER,
        )
    app_id = int.from_bytes(head[68:72], "big")
    if app_id == APPLICATION_ID:
        return
    if app_id == 0:
        # No id in the file's header: a library from before the id (or one whose id
        # still sits in its WAL after a crash). Look inside, read-only.
        try:
            ro = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                (app_id,) = ro.execute("PRAGMA application_id").fetchone()
                (version,) = ro.execute("PRAGMA user_version").fetchone()
                tables = {
                    row[0]
                    for row in ro.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                }
            finally:
                ro.close()
        except sqlite3.Error as exc:
            raise LibraryError(
                f"Cannot read the library {path} ({exc}).", hint=_CHOOSE_ANOTHER
            ) from exc
        empty = not tables and version == 0
        if app_id == APPLICATION_ID or empty or (tables >= _V1_TABLES and version >= 1):
            return
    raise LibraryError(
        f"{path} is not a Playlist Assistant library (it is another program's SQLite "
        f"database{f', application id {app_id:#x}' if app_id else ''}).",
        hint=_CHOOSE_ANOTHER,
    )


def _database_error(exc: sqlite3.Error, target: str, *, opening: bool = False) -> LibraryError:
    """A SQLite failure as a message that says what happened and what to do."""
    text = str(exc)
    low = text.lower()
    if "readonly" in low or "read-only" in low:
        return LibraryError(
            f"The library {target} is read-only: nothing was changed.",
            hint="Make the file and its folder writable, or copy the library somewhere "
            "writable and use --library PATH. Commands that only read (stats, playlists, "
            "show) work as it is.",
        )
    if "full" in low:
        return LibraryError(
            f"The disk holding the library {target} is full: the change in progress was "
            "rolled back; nothing already in the library was lost.",
            hint="Free some disk space and run the same command again.",
        )
    if "locked" in low or "busy" in low:
        return LibraryError(
            f"The library {target} is busy: another program is writing it.",
            hint="Wait until it has finished (e.g. another import) and try again.",
        )
    if "not a database" in low or "malformed" in low:
        return LibraryError(
            f"The library {target} is damaged ({text}).",
            hint="Restore it from a backup, or choose another file with --library PATH.",
        )
    return LibraryError(
        f"The library {target} could not be {'opened' if opening else 'written'} ({text}).",
        hint="Nothing was changed. Check the disk and the file's permissions, then try again.",
    )


def _owned_elsewhere(path: str, source: str, conflicts: list[tuple[str, str]]) -> InputError:
    refs = [ref for ref, _ in conflicts]
    shown = ", ".join(refs[:10]) + (f", … ({len(refs)} in all)" if len(refs) > 10 else "")
    label = "pid(s)" if source == "mpd" else f"{source} playlist(s)"
    others = sorted({other for _, other in conflicts})
    return InputError(
        f"{path}: {len(refs)} playlist(s) are already in the library from another file "
        f"({', '.join(others[:3])}{', …' if len(others) > 3 else ''}): {label} {shown}.",
        hint="Nothing from this file was imported. A playlist belongs to the file it was "
        "first imported from: remove these playlists from this file (or delete them from "
        "the library) and import it again.",
    )


SEARCH_CANDIDATES = 1_000  # matches ranked per search (see Library.search_tracks)
PREFIX_WORDS = 64  # whole words tried for a typed word's prefix


def search_words(text: str) -> list[str]:
    """Typed text as the index's words: split and folded as FTS5's unicode61 tokenizer
    does (letters and digits, lower case, no diacritics), so "Beyoncé – Halo" is
    ["beyonce", "halo"]. Quotes and FTS5 operators are plain text this way."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return re.findall(r"[^\W_]+", plain)


def search_order(track: Track, words: Sequence[str]) -> tuple[int, int, str]:
    """Sort key of a found track: words starting a title word first, then artist and
    album; then by title. ``words`` come from :func:`search_words`."""
    title = " " + track.name.casefold()  # cheap: this runs for every candidate
    other = f" {track.artist_name.casefold()} {track.album_name.casefold()}"
    in_title = sum(f" {w}" in title for w in words)
    in_other = sum(f" {w}" in other for w in words)
    return (-in_title, -in_other, title)


def _track_row(t: Track) -> TrackRow:
    return (
        t.uri,
        t.name,
        t.artist_uri,
        t.artist_name,
        t.album_uri,
        t.album_name,
        int(t.duration_ms or 0),
    )
