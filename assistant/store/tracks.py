"""Tracks: metadata writes and reads, the synthetic (demo) marks, and track search
(the FTS5 index ``track_search``)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain

from assistant.domain import Track
from assistant.errors import InputError, NotFound
from assistant.store.connection import Connection

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
_TRACK_COLUMNS_OF_T = ", ".join(f"t.{c}" for c in TRACK_COLUMNS)
_TRACKS_PER_STATEMENT = 50

SEARCH_CANDIDATES = 1_000  # matches ranked per search (see Library.search_tracks)
PREFIX_WORDS = 64  # whole words tried for a typed word's prefix
# ... for a one- or two-letter last word: its first words are the most common ones (a,
# b, be...), and listing a word costs reading its whole posting list (fts5vocab counts
# them): 64 such words took ~70 ms at 1M tracks, 8 take ~15 (bench_search.py).
SHORT_PREFIX_WORDS = 8


class TracksMixin(Connection):
    """The tracks table and its search index."""

    # -- tracks: writes ----------------------------------------------------------------

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

    def add_tracks(self, tracks: Iterable[Track], *, overwrite: bool = False) -> None:
        with self.atomic():
            self._write_tracks((_track_row(t) for t in tracks), overwrite=overwrite)

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

    # -- tracks: reads -----------------------------------------------------------------

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

    def search_tracks(self, text: str, limit: int = 200) -> list[Track]:
        """Tracks whose title, artist or album hold every word of ``text``, best matches
        first. A word of three or more letters also matches as the start of a word ("cold
        clo" finds "Clocks – Coldplay"), and so does the last word at any length: the
        person is still typing it ("be" finds "Beyoncé"). A short word before the last
        ("a", "of") matches whole words only: as a prefix it would match nearly anything.
        A prefix stands for the index's first words that start with it, in alphabetical
        order (``PREFIX_WORDS``, ``SHORT_PREFIX_WORDS`` for one or two letters): in a big
        library the next letter typed reaches the others.

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
        for i, word in enumerate(words):
            alternatives = [word]
            last = i == len(words) - 1
            many = PREFIX_WORDS if len(word) >= 3 else SHORT_PREFIX_WORDS if last else 0
            if many:
                alternatives += [
                    term
                    for (term,) in self.conn.execute(
                        "SELECT term FROM track_search_terms WHERE term > ? AND term < ? LIMIT ?",
                        (word, word + "\U0010ffff", many),
                    )
                ]
            groups.append("(" + " OR ".join(f'"{a}"' for a in alternatives) + ")")
        rows = self.conn.execute(
            # The columns named: the tracks table has more than a Track (``synthetic``).
            f"SELECT {_TRACK_COLUMNS_OF_T} FROM (SELECT rowid FROM track_search "
            "WHERE track_search MATCH ? LIMIT ?) AS s JOIN tracks AS t ON t.rowid = s.rowid",
            (" AND ".join(groups), SEARCH_CANDIDATES),
        ).fetchall()
        tracks = [Track(*row) for row in rows]
        tracks.sort(key=lambda t: search_order(t, words))
        return tracks[: int(limit)]

    def rebuild_track_search(self) -> None:
        """Rebuilds the track search index from ``tracks`` (after a VACUUM, say)."""
        self.conn.execute("INSERT INTO track_search (track_search) VALUES ('rebuild')")

    def iter_all_tracks(self) -> Iterator[Track]:
        for row in self.conn.execute(f"{_TRACK_SELECT} ORDER BY uri"):
            yield Track(*row)

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
