"""The SQLite library over sqlite-utils.

One :class:`Library` object wraps one connection and belongs to the thread that opened it
(sqlite3 refuses use from another thread); a worker thread opens its own on the same path.
WAL mode lets the GUI read while a worker writes. Every logical write runs in one
transaction (``db.atomic()``), so a crash or a cancel leaves the library as it was.

Reads return domain dataclasses; nothing outside ``assistant.store`` writes SQL.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson
import sqlite_utils

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
from assistant.store.migrations import migrate

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

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path not in (None, ":memory:") else path
        if self.path is None:
            self.path = default_library_path()
        target = str(self.path)
        if target != ":memory:":
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves (db.atomic()).
            conn = sqlite3.connect(target, isolation_level=None, timeout=30.0)
            conn.execute("PRAGMA foreign_keys = ON")
            if target != ":memory:":
                # Only takes effect on a new, empty file. 16 KiB pages (SQLite's default is
                # 4 KiB) quarter the number of WAL frames a bulk import writes and then
                # checkpoints (an MPD slice commits ~0.03 s faster); existing libraries keep
                # theirs, which is equally correct.
                conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
                conn.execute("PRAGMA journal_mode = WAL")
                # NORMAL is durable across application crashes in WAL mode; only a power
                # loss can drop the last commits, never corrupt the file.
                conn.execute("PRAGMA synchronous = NORMAL")
            migrate(conn)
        except sqlite3.DatabaseError as exc:
            raise LibraryError(
                f"Cannot open the library {target}: {exc}.",
                hint="If the file is not a Playlist Assistant library, choose another path "
                "with --library PATH (or Settings → Data directory).",
            ) from exc
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
        """One transaction; nested calls become savepoints."""
        with self.db.atomic():
            yield self

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
    ) -> ImportResult:
        """Writes one file's playlists and tracks in one transaction.

        A file whose content hash was imported before is skipped (a no-op). Playlists are
        matched on ``(source, source_ref)``: a playlist seen before is replaced in place
        (its row id stays), so re-importing an updated export does not duplicate it.

        Args:
            kind: "mpd", "csv", "spotify"...: recorded in ``imports``.
            path: where it came from, for the person to recognise.
            sha256: content hash of the file.
            playlists: the playlists with their ordered track URIs.
            tracks: rows in :data:`TRACK_COLUMNS` order for every URI the playlists use.
            overwrite_tracks: replace metadata of known tracks (else the first seen wins).
        """
        if self.has_import(sha256):
            return ImportResult(path, 0, 0, skipped=True)
        rows = tracks if isinstance(tracks, list) else list(tracks)
        given = set(map(_FIRST, rows))
        entries = 0
        with self._references_checked_here(), self.atomic():
            cur = self.conn.execute(
                "INSERT INTO imports (kind, path, sha256, imported_at) VALUES (?, ?, ?, ?)",
                (kind, path, sha256, time.time()),
            )
            import_id = cur.lastrowid
            self._write_tracks(rows, overwrite=overwrite_tracks)
            for playlist in playlists:
                if not given.issuperset(playlist.track_uris):
                    self._check_known([u for u in playlist.track_uris if u not in given])
                self._write_playlist(playlist, import_id=import_id)
                entries += len(playlist.track_uris)
            self.conn.execute(
                "UPDATE imports SET num_playlists = ?, num_entries = ? WHERE id = ?",
                (len(playlists), entries, import_id),
            )
        return ImportResult(path, len(playlists), entries)

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
                f"{verb} INTO tracks VALUES {values}{conflict}",
                [flat[i : i + width] for i in range(0, len(flat), width)],
            )
        if whole < len(rows):
            self.conn.executemany(
                f"{verb} INTO tracks VALUES (?, ?, ?, ?, ?, ?, ?){conflict}", rows[whole:]
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
            self.conn.execute("DELETE FROM playlists WHERE id = ?", (playlist_id,))

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
        self.conn.execute(
            "DELETE FROM tracks WHERE NOT EXISTS "
            "(SELECT 1 FROM playlist_tracks pt WHERE pt.track_uri = tracks.uri)"
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
            for row in self.conn.execute(f"SELECT * FROM tracks WHERE uri IN ({marks})", chunk):
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
        for row in self.conn.execute("SELECT * FROM tracks ORDER BY uri"):
            yield Track(*row)

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
                        x.neighbor_kind,
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
        with self.atomic():
            cur = self.conn.execute(
                "INSERT INTO training_runs (model, config, device, data_fingerprint, started_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (model, json.dumps(config), device, data_fingerprint, time.time()),
            )
            return int(cur.lastrowid or 0)

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
    ) -> int:
        with self.atomic():
            self.conn.execute(
                "INSERT INTO checkpoints (path, model, created_at, metrics, config, data_fingerprint, "
                "training_run_id) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET "
                "model=excluded.model, created_at=excluded.created_at, metrics=excluded.metrics, "
                "config=excluded.config, data_fingerprint=excluded.data_fingerprint, "
                "training_run_id=excluded.training_run_id",
                (
                    path,
                    model,
                    time.time(),
                    json.dumps(metrics),
                    json.dumps(config),
                    data_fingerprint,
                    training_run_id,
                ),
            )
            return self.conn.execute(
                "SELECT id FROM checkpoints WHERE path = ?", (path,)
            ).fetchone()[0]

    def checkpoints(self) -> list[CheckpointRecord]:
        return [
            CheckpointRecord(i, p, m, c, json.loads(met), json.loads(cfg), fp)
            for i, p, m, c, met, cfg, fp in self.conn.execute(
                "SELECT id, path, model, created_at, metrics, config, data_fingerprint FROM checkpoints "
                "ORDER BY created_at DESC, id DESC"
            )
        ]

    # -- Spotify export bookkeeping ----------------------------------------------------

    def spotify_link(self, playlist_id: int) -> SpotifyLink | None:
        row = self.conn.execute(
            "SELECT playlist_id, spotify_playlist_id, mode, base_count, exported_count, status, updated_at "
            "FROM spotify_links WHERE playlist_id = ?",
            (playlist_id,),
        ).fetchone()
        return SpotifyLink(*row) if row else None

    def set_spotify_link(self, link: SpotifyLink) -> None:
        with self.atomic():
            self.conn.execute(
                "INSERT OR REPLACE INTO spotify_links VALUES (?, ?, ?, ?, ?, ?, ?)",
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

    def delete_spotify_links(self) -> None:
        with self.atomic():
            self.conn.execute("DELETE FROM spotify_links")

    # -- settings stored with the data -------------------------------------------------

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
                self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def set_cache_size(self, mib: int) -> None:
        """Sets this connection's SQLite page cache (default ~2 MiB).

        Bulk imports call it with ~64 MiB: once the tracks table outgrows the default
        cache, every insert into its indexes misses it and an MPD slice takes ~40% longer.
        """
        self.conn.execute(f"PRAGMA cache_size = -{int(mib) * 1024}")


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
