"""Reading many slice files in order for an import, the next ones in a helper process.

Parsing holds the GIL, so a helper *thread* cannot overlap with the SQLite writer (which
needs the GIL back for every row it binds); a helper *process* can. The first file is
parsed in the calling process (no waiting for the helper to start); a helper process
(``python -c``, importing only this module and :mod:`assistant.sources.mpd_slices`)
reads, hashes and validates the following files and pickles each result down a pipe. The
pipe is the bounded queue: the helper blocks writing file N+1 until the caller has
finished file N, so at most one parsed file waits, whatever the folder holds. If the
helper cannot start or dies, the remaining files are parsed in the calling process.
"""

from __future__ import annotations

import gc
import pickle
import signal
import subprocess
import sys
import threading
from collections.abc import Collection, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from assistant import errors
from assistant.errors import InputError
from assistant.sources.mpd_slices import MpdSlice, gc_paused, parse_slice, read_bytes, sha256_of

# -- reading many files, the next ones in a helper process -----------------------------


@dataclass(slots=True)
class SliceRead:
    """The outcome of reading one file for an import.

    Attributes:
        path: the file.
        sha256: hex digest of its bytes ("" when it could not be read).
        parsed: the validated slice; None when its hash was in ``known`` or on error.
        error: why the file cannot be imported (it names file, playlist and field).
    """

    path: Path
    sha256: str
    parsed: MpdSlice | None = None
    error: InputError | None = None


def read_for_import(path: Path, known: Collection[str]) -> SliceRead:
    """Reads and hashes one file, and validates it unless its hash is in ``known``."""
    try:
        data = read_bytes(path)
        sha = sha256_of(data)
        if sha in known:
            return SliceRead(path, sha)
        with gc_paused():
            return SliceRead(path, sha, parse_slice(data, str(path), sha256=sha))
    except InputError as exc:  # ImportFormatError included
        return SliceRead(path, "", error=exc)


# The helper imports this module only (not the store: no sqlite-utils, numpy): ~0.05 s.
# The package's folder goes on sys.path only when it is not there already (a source
# checkout): an installed package is found as usual, and nothing can shadow the standard
# library. The helper then checks it runs this very file (else the reader parses here).
_HELPER_CODE = """
import sys
root, expected = sys.argv[1], sys.argv[2]
if root not in sys.path:
    sys.path.insert(0, root)
import assistant.sources.mpd_reader as reader
reader.serve_helper(expected=expected)
"""


class SliceReader:
    """Reads slice files in order for an import; see the module docstring.

    Use as a context manager (it stops the helper on exit, e.g. on cancel) and iterate:
    one :class:`SliceRead` per file, in the order given.

    Args:
        files: the files, in import order.
        known: content hashes imported before (those files are hashed but not parsed).
        helper: False parses everything in this process (also the case for one file).
    """

    def __init__(self, files: Iterable[Path], known: Collection[str], *, helper: bool = True):
        self.files = [Path(f) for f in files]
        self.known = frozenset(known)
        self._proc: subprocess.Popen[bytes] | None = None
        if helper and len(self.files) > 1:
            self._start_helper()

    @property
    def helper_running(self) -> bool:
        return self._proc is not None

    def __enter__(self) -> SliceReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[SliceRead]:
        for number, path in enumerate(self.files):
            item = self._receive(path) if number > 0 and self._proc is not None else None
            yield item if item is not None else read_for_import(path, self.known)
            del item  # the caller decides when the file's objects go

    def close(self) -> None:
        """Stops the helper (if it still runs) and reaps it."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                with suppress(OSError):
                    pipe.close()

    def _start_helper(self) -> None:
        if getattr(sys, "frozen", False) or not sys.executable:
            return  # a frozen app has no `python -c`: everything is parsed here
        this_file = str(Path(__file__).resolve())
        package_root = str(Path(this_file).parents[2])
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _HELPER_CODE, package_root, this_file],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        except OSError:
            self._proc = None
            return
        request = pickle.dumps(([str(p) for p in self.files[1:]], self.known), protocol=5)
        # From a thread: a large request (many known hashes) must not block this one
        # while the helper starts.
        threading.Thread(
            target=_send_request, args=(self._proc.stdin, request), daemon=True
        ).start()

    def _receive(self, path: Path) -> SliceRead | None:
        """The helper's result for ``path``, or None (helper gone: parse it here)."""
        assert self._proc is not None and self._proc.stdout is not None
        try:
            with gc_paused():
                message = pickle.load(self._proc.stdout)
            read_path, sha, parsed, error_state = message
        except Exception:  # EOF (it died), a broken pipe, or garbage: stop using it
            self.close()
            return None
        if read_path != str(path):
            self.close()
            return None
        error = errors.unpack_error(error_state, InputError) if error_state is not None else None
        return SliceRead(path, sha, parsed, error)


def _send_request(pipe: IO[bytes] | None, request: bytes) -> None:
    if pipe is None:
        return
    # OSError: the helper died; ValueError: the reader closed the pipe (cancel). Either
    # way the reader notices and parses the files itself.
    with suppress(OSError, ValueError):
        pipe.write(request)
        pipe.close()


def serve_helper(
    stdin: IO[bytes] | None = None, stdout: IO[bytes] | None = None, *, expected: str = ""
) -> None:
    """The helper process: reads the request, then one pickled result per file.

    The request is ``(paths, known_hashes)``; each result is ``(path, sha256, MpdSlice
    or None, packed error or None)``, in request order. Writing blocks while the reader
    has not taken the previous result (the pipe is the queue); when the reader is gone
    the write fails and the helper exits. ``expected``: the reader's copy of this file;
    another copy (another version of the app) answers nothing, so the reader parses.
    """
    if expected and str(Path(__file__).resolve()) != expected:
        sys.exit(3)
    # Ctrl+C in a terminal reaches the whole process group: the reader handles it and
    # stops the helper, which should not print a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stdin = stdin if stdin is not None else sys.stdin.buffer
    stdout = stdout if stdout is not None else sys.stdout.buffer
    gc.disable()  # every object here is acyclic and freed with its file
    paths, known = pickle.load(stdin)
    try:
        for raw in paths:
            item = read_for_import(Path(raw), known)
            error = errors.pack_error(item.error) if item.error is not None else None
            pickler = pickle.Pickler(stdout, protocol=5)
            # No memo: nothing is shared or cyclic, and memoising ~300k objects per file
            # doubles the pickling time.
            pickler.fast = True
            pickler.dump((raw, item.sha256, item.parsed, error))
            stdout.flush()
            del item
    except BrokenPipeError:  # the reader stopped (cancel, or it was killed)
        pass
