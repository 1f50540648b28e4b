"""Opening a library file: the check that the file is ours, the connection's pragmas,
transactions, and SQLite failures as messages that say what to do."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Self

import sqlite_utils

from assistant.config import default_library_path
from assistant.errors import LibraryError, NotFound
from assistant.store.migrations import APPLICATION_ID, migrate

# Page size of new library files (see Library.__init__).
PAGE_SIZE = 16384


class Connection:
    """One connection to a library file: the base every part of
    :class:`~assistant.store.library.Library` builds on (``self.conn``, ``self.db``,
    :meth:`atomic`)."""

    path: Path | str
    created: bool
    read_only: bool
    conn: sqlite3.Connection
    db: sqlite_utils.Database

    def __init__(self, path: str | Path | None = None, *, create: bool = True) -> None:
        self.path = Path(path) if path not in (None, ":memory:") else path
        if self.path is None:
            self.path = default_library_path()
        target = str(self.path)
        #: True when this opening created the file (the CLI says where).
        self.created = target != ":memory:" and not _has_content(Path(target))
        # Only a file that was not there at all may be removed (close_removing_if_unused).
        self._new_file = target != ":memory:" and not Path(target).exists()
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

    def close_removing_if_unused(self) -> bool:
        """Closes the connection, and removes the library file (with its WAL files) when
        this opening created it and nothing was written into it since: an import whose
        file was refused leaves no empty library behind.

        A library that existed before (even an empty file) is never removed, nor one
        that another connection has open: SQLite leaves WAL mode only when no other
        connection is using the file, and the exclusive lock taken then keeps everyone
        out until it is gone.

        Returns:
            Whether the file was removed.
        """
        try:
            if not self._new_file or self.read_only or self._holds_anything():
                return False
            self.conn.execute("PRAGMA busy_timeout = 0")  # someone else there: keep it
            (mode,) = self.conn.execute("PRAGMA journal_mode = DELETE").fetchone()
            if mode != "delete":
                return False
            self.conn.execute("BEGIN EXCLUSIVE")
            if self._holds_anything():  # written by another process meanwhile
                self.conn.execute("ROLLBACK")
                self.conn.execute("PRAGMA journal_mode = WAL")
                return False
            path = Path(self.path)
            for leftover in (path, *(Path(f"{path}{s}") for s in ("-wal", "-shm", "-journal"))):
                leftover.unlink(missing_ok=True)
            return True
        except (sqlite3.Error, OSError):
            return False  # kept: an empty library is harmless, a wrong removal is not
        finally:
            self.conn.close()

    def _holds_anything(self) -> bool:
        """Whether any table holds a row, besides the library's own meta data (its id)
        and the search index's bookkeeping."""
        tables = [
            name
            for (name,) in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'meta' "
                "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'track_search%'"
            )
        ]
        return any(
            self.conn.execute(f'SELECT 1 FROM "{name}" LIMIT 1').fetchone() for name in tables
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def atomic(self) -> Iterator[Self]:
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
    def _write_locked(self) -> Iterator[Self]:
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

    # -- connection settings -----------------------------------------------------------

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
