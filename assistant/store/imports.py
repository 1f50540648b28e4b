"""Import bookkeeping: one file's playlists and tracks written in one transaction, and
the ``imports`` rows that say which file brought which playlists in."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from assistant.domain import Playlist
from assistant.errors import InputError
from assistant.store.connection import Connection
from assistant.store.tracks import TrackRow

_FIRST = itemgetter(0)


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What one imported file (or batch) added."""

    path: str
    playlists: int
    entries: int
    skipped: bool = False  # the same content was imported before: nothing done


class ImportsMixin(Connection):
    """The imports table and the bulk import of one file."""

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

    def imports(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM imports ORDER BY id"))


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
