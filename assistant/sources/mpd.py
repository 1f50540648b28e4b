"""Million Playlist Dataset slices and RecSys 2018 challenge sets.

A slice file (``mpd.slice.0-999.json``) is one JSON object ``{"info": ..., "playlists":
[...]}`` of ~33 MB. Each file is read in one go (bytes, sha256, orjson), validated
completely, and turned into :class:`~assistant.domain.Playlist` objects plus track rows in
:data:`~assistant.store.library.TRACK_COLUMNS` order; nothing of a file reaches the library
unless all of it is valid. Callers process one file at a time, so memory stays flat however
many files a folder holds.

The validation loop is the hot path (~67k entries per real slice): it indexes the track
dicts directly and checks types with ``type(x) is ...`` and only re-walks a playlist slowly
to name the offending field once something is wrong.

:class:`SliceReader` reads many files in order for an import. Parsing holds the GIL, so a
helper *thread* cannot overlap with the SQLite writer (which needs the GIL back for every
row it binds); a helper *process* can. The first file is parsed in the calling process
(no waiting for the helper to start); a helper process (``python -c``, importing only this
module) reads, hashes and validates the following files and pickles each result down a
pipe. The pipe is the bounded queue: the helper blocks writing file N+1 until the caller
has finished file N, so at most one parsed file waits, whatever the folder holds. If the
helper cannot start or dies, the remaining files are parsed in the calling process.
"""

from __future__ import annotations

import gc
import hashlib
import pickle
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

import orjson

from assistant import errors
from assistant.domain import Playlist
from assistant.errors import ImportFormatError, InputError

if TYPE_CHECKING:  # at run time only the type alias would need it, and it pulls in
    # sqlite-utils (and numpy): ~0.17 s of start-up for the parse worker process.
    from assistant.store.library import TrackRow

SLICE_GLOB = "mpd.slice.*.json"
TRACK_FIELDS = (
    "track_uri",
    "track_name",
    "artist_uri",
    "artist_name",
    "album_uri",
    "album_name",
    "duration_ms",
    "pos",
)
_TRACK_TYPES: dict[str, type] = {
    "track_uri": str,
    "track_name": str,
    "artist_uri": str,
    "artist_name": str,
    "album_uri": str,
    "album_name": str,
    "duration_ms": int,
    "pos": int,
}
_TRACK_PREFIX = "spotify:track:"
# One C call per entry: the values of a track row in TRACK_COLUMNS order, and its pos.
_GET_ROW = itemgetter(*TRACK_FIELDS[:7])
_GET_POS = itemgetter("pos")
_URI = itemgetter(0)
_STR = {str}
_INT = {int}


@dataclass(slots=True)
class MpdSlice:
    """One validated slice file.

    Attributes:
        playlists: the playlists (``source="mpd"``, ``source_ref=str(pid)``) in file order.
        tracks: one row per distinct track URI of the file (first occurrence wins), by URI.
        sha256: hex digest of the file's bytes (the library's re-import key).
        path: the file it came from.
        info: the file's ``info`` block ({} when absent).
    """

    playlists: list[Playlist]
    tracks: list[TrackRow]
    sha256: str
    path: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def entries(self) -> int:
        return sum(len(p.track_uris) for p in self.playlists)


@dataclass(frozen=True, slots=True)
class ChallengePlaylist:
    """One playlist of a RecSys 2018 challenge set: the seeds given, the tail to predict."""

    pid: int
    name: str
    seed_uris: list[str]
    num_holdouts: int
    num_samples: int = 0
    num_tracks: int = 0


# -- finding files ---------------------------------------------------------------------


def _natural_key(path: Path) -> tuple:
    # mpd.slice.2000-2999.json sorts before mpd.slice.10000-10999.json.
    parts = re.split(r"(\d+)", path.name)
    return (
        str(path.parent),
        tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts),
    )


def iter_slice_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Expands files and folders into a sorted list of slice files (no duplicates).

    A folder contributes its ``mpd.slice.*.json`` files (sorted naturally, so 2000-2999
    comes before 10000-10999); a file named explicitly is taken whatever its name.

    Raises:
        InputError: a path does not exist, or a folder holds no slice files.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            files = sorted((p for p in path.glob(SLICE_GLOB) if p.is_file()), key=_natural_key)
            if not files:
                raise InputError(
                    f"{path}: no MPD slice files (mpd.slice.*.json) in this folder.",
                    hint="Point at the MPD 'data' folder or name the JSON files themselves.",
                )
            found.extend(files)
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(
                f"{path}: no such file or folder.", hint="Check the path and try again."
            )
    seen: set[Path] = set()
    unique = []
    for p in found:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


# -- parsing ---------------------------------------------------------------------------


def load_json(data: bytes, path: str) -> Any:
    """orjson.loads with an error that says where the file is broken and why."""
    if data[:3] == b"\xef\xbb\xbf":  # a UTF-8 byte-order mark (some editors add one)
        data = data[3:]
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if not data.strip():
            raise ImportFormatError(path, "the file is empty.") from None
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            line = data.count(b"\n", 0, bad.start) + 1
            raise ImportFormatError(
                path,
                f"not UTF-8 text (invalid byte 0x{data[bad.start]:02x} at byte offset "
                f"{bad.start}, line {line}). MPD files are UTF-8 JSON.",
            ) from None
        if exc.pos >= len(data.rstrip()) - 1 or "end of data" in exc.msg:
            problem = (
                f"the JSON is truncated (it ends early at line {exc.lineno}, column "
                f"{exc.colno}, byte {exc.pos} of {len(data)}): {exc.msg}."
            )
        elif exc.pos == 0 or data.lstrip()[:1] not in (b"{", b"["):
            problem = f"not a JSON file ({exc.msg} at line {exc.lineno}, column {exc.colno})."
        else:
            problem = (
                f"malformed JSON at line {exc.lineno}, column {exc.colno} (byte {exc.pos}): "
                f"{exc.msg}."
            )
        raise ImportFormatError(path, problem) from None


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_slice(path: str | Path) -> MpdSlice:
    """Reads, hashes and validates one slice file.

    Raises:
        ImportFormatError: the file is not a valid slice (names playlist index, pid, field).
        InputError: the file cannot be read.
    """
    data = read_bytes(path)
    return parse_slice(data, str(path), sha256=sha256_of(data))


def read_bytes(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror}).") from exc


def parse_slice(data: bytes, path: str, *, sha256: str = "") -> MpdSlice:
    """Validates the bytes of one slice file and converts them (see :func:`read_slice`)."""
    doc = load_json(data, path)
    if not isinstance(doc, dict) or "playlists" not in doc:
        raise ImportFormatError(
            path, "not an MPD slice: expected an object with a 'playlists' list.", field="playlists"
        )
    raw_playlists = doc["playlists"]
    if type(raw_playlists) is not list:
        raise ImportFormatError(path, "'playlists' must be a list.", field="playlists")
    if not raw_playlists:
        raise ImportFormatError(path, "the slice is empty (no playlists).", field="playlists")
    info = doc.get("info")
    playlists, tracks = _convert(raw_playlists, path)
    return MpdSlice(
        playlists, tracks, sha256 or sha256_of(data), path, info if isinstance(info, dict) else {}
    )


def _convert(raw_playlists: list, path: str) -> tuple[list[Playlist], list[TrackRow]]:
    playlists: list[Playlist] = []
    all_values: list[tuple] = []
    pids: set[int] = set()
    for index, p in enumerate(raw_playlists):
        if type(p) is not dict:
            raise ImportFormatError(path, "a playlist must be a JSON object.", index=index)
        try:
            pid = p["pid"]
            name = p["name"]
            raw_tracks = p["tracks"]
        except KeyError as exc:
            raise ImportFormatError(
                path, "required field is missing.", index=index, pid=p.get("pid"), field=exc.args[0]
            ) from None
        if type(pid) is not int:
            raise ImportFormatError(
                path, _type_problem(pid, "an integer"), index=index, field="pid"
            )
        if type(name) is not str:
            raise ImportFormatError(
                path, _type_problem(name, "a string"), index=index, pid=pid, field="name"
            )
        if type(raw_tracks) is not list:
            raise ImportFormatError(
                path, _type_problem(raw_tracks, "a list"), index=index, pid=pid, field="tracks"
            )
        if pid in pids:
            raise ImportFormatError(
                path, "this pid appears twice in the file.", index=index, pid=pid, field="pid"
            )
        pids.add(pid)
        try:
            values = list(map(_GET_ROW, raw_tracks))  # KeyError/TypeError on bad input
            positions = list(map(_GET_POS, raw_tracks))
        except (KeyError, TypeError):
            _explain_tracks(raw_tracks, path, index, pid)
        # Type checks a column at a time through C iterators (no Python frame per entry).
        columns = list(zip(*values, strict=True)) if values else [()] * 7
        if (
            any(set(map(type, column)) - _STR for column in columns[:6])
            or set(map(type, columns[6])) - _INT
            or set(map(type, positions)) - _INT
        ):
            _explain_tracks(raw_tracks, path, index, pid)
        uris = list(columns[0])
        if not all(map(str.startswith, uris, repeat(_TRACK_PREFIX))):
            _explain_tracks(raw_tracks, path, index, pid)
        all_values.extend(values)
        in_order = positions == list(range(len(positions)))
        if not in_order:
            uris = _reorder(raw_tracks, path, index, pid)
        playlists.append(
            Playlist(
                name=name,
                track_uris=uris,
                source="mpd",
                source_ref=str(pid),
                description=_optional(p, "description", str, "", path, index, pid),
                num_followers=_optional(p, "num_followers", int, 0, path, index, pid),
                modified_at=_optional(p, "modified_at", int, 0, path, index, pid),
                collaborative=_collaborative(p, path, index, pid),
            )
        )
    # One row per URI, the first occurrence winning (later ones overwrite earlier ones in
    # a dict, so feed it backwards), sorted by URI: inserting in key order keeps SQLite's
    # index pages hot (~15% faster once the tracks table outgrows the page cache).
    backwards = all_values[::-1]
    rows = dict(zip(map(_URI, backwards), backwards, strict=True))
    return playlists, sorted(rows.values(), key=_URI)


def _type_problem(value: object, expected: str) -> str:
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"must be {expected}, not {type(value).__name__} {shown}."


def _explain_tracks(raw_tracks: list, path: str, index: int, pid: int) -> NoReturn:
    for i, t in enumerate(raw_tracks):
        where = f"track #{i}"
        if type(t) is not dict:
            raise ImportFormatError(
                path,
                f"{where}: {_type_problem(t, 'an object')}",
                index=index,
                pid=pid,
                field="tracks",
            )
        for name, kind in _TRACK_TYPES.items():
            if name not in t:
                raise ImportFormatError(
                    path, f"{where}: required field is missing.", index=index, pid=pid, field=name
                )
            value = t[name]
            if type(value) is not kind:
                expected = "an integer" if kind is int else "a string"
                raise ImportFormatError(
                    path,
                    f"{where}: {_type_problem(value, expected)}",
                    index=index,
                    pid=pid,
                    field=name,
                )
        if not t["track_uri"].startswith(_TRACK_PREFIX):
            raise ImportFormatError(
                path,
                f"{where}: {t['track_uri']!r} is not a Spotify track URI (spotify:track:…).",
                index=index,
                pid=pid,
                field="track_uri",
            )
    raise ImportFormatError(path, "invalid track list.", index=index, pid=pid, field="tracks")


def _reorder(raw_tracks: list, path: str, index: int, pid: int) -> list[str]:
    """Track URIs ordered by ``pos`` (files edited by hand may list them out of order)."""
    by_pos = sorted(raw_tracks, key=lambda t: t["pos"])
    positions = [t["pos"] for t in by_pos]
    if len(set(positions)) != len(positions):
        raise ImportFormatError(
            path, "two tracks have the same 'pos'.", index=index, pid=pid, field="pos"
        )
    return [t["track_uri"] for t in by_pos]


def _optional(p: dict, name: str, kind: type, default: Any, path: str, index: int, pid: int) -> Any:
    value = p.get(name)
    if value is None:
        return default
    if type(value) is not kind:
        expected = "an integer" if kind is int else "a string"
        raise ImportFormatError(
            path, _type_problem(value, expected), index=index, pid=pid, field=name
        )
    return value


def _collaborative(p: dict, path: str, index: int, pid: int) -> bool:
    value = p.get("collaborative", False)
    if value is True or value == "true":
        return True
    if value is False or value == "false":
        return False
    raise ImportFormatError(
        path,
        f'must be "true"/"false" (or a boolean), not {value!r}.',
        index=index,
        pid=pid,
        field="collaborative",
    )


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


@contextmanager
def gc_paused() -> Iterator[None]:
    """Parsing a slice allocates ~1M containers that all live on; the cyclic GC would
    walk them again and again for nothing (it costs ~20% of the parse time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
import assistant.sources.mpd as mpd
mpd.serve_helper(expected=expected)
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


# -- challenge sets --------------------------------------------------------------------


def read_challenge_set(path: str | Path) -> list[ChallengePlaylist]:
    """Reads a RecSys 2018 ``challenge_set.json`` (10,000 playlists with hidden tails).

    Each playlist has ``pid``, ``num_samples``, ``num_holdouts``, ``num_tracks``, an
    optional ``name`` and ``tracks`` (the seeds; may be empty for title-only cases).

    Raises:
        ImportFormatError: the file is not a valid challenge set.
    """
    where = str(path)
    doc = load_json(read_bytes(path), where)
    if not isinstance(doc, dict) or type(doc.get("playlists")) is not list:
        raise ImportFormatError(
            where,
            "not a challenge set: expected an object with a 'playlists' list.",
            field="playlists",
        )
    if not doc["playlists"]:
        raise ImportFormatError(where, "the challenge set has no playlists.", field="playlists")
    out: list[ChallengePlaylist] = []
    pids: set[int] = set()
    for index, p in enumerate(doc["playlists"]):
        if type(p) is not dict:
            raise ImportFormatError(where, "a playlist must be a JSON object.", index=index)
        pid = p.get("pid")
        if type(pid) is not int:
            raise ImportFormatError(
                where, _type_problem(pid, "an integer"), index=index, field="pid"
            )
        if pid in pids:
            raise ImportFormatError(
                where, "this pid appears twice.", index=index, pid=pid, field="pid"
            )
        pids.add(pid)
        for name in ("num_holdouts", "num_samples", "num_tracks"):
            if name in p and type(p[name]) is not int:
                raise ImportFormatError(
                    where, _type_problem(p[name], "an integer"), index=index, pid=pid, field=name
                )
        if "num_holdouts" not in p:
            raise ImportFormatError(
                where, "required field is missing.", index=index, pid=pid, field="num_holdouts"
            )
        tracks = p.get("tracks", [])
        if type(tracks) is not list:
            raise ImportFormatError(
                where, _type_problem(tracks, "a list"), index=index, pid=pid, field="tracks"
            )
        seeds = []
        for i, t in enumerate(tracks):
            uri = t.get("track_uri") if type(t) is dict else None
            if type(uri) is not str or not uri.startswith(_TRACK_PREFIX):
                raise ImportFormatError(
                    where,
                    f"track #{i}: needs a 'track_uri' like spotify:track:….",
                    index=index,
                    pid=pid,
                    field="track_uri",
                )
            seeds.append(uri)
        name = p.get("name", "")
        out.append(
            ChallengePlaylist(
                pid=pid,
                name=name if isinstance(name, str) else "",
                seed_uris=seeds,
                num_holdouts=p["num_holdouts"],
                num_samples=p.get("num_samples", len(seeds)),
                num_tracks=p.get("num_tracks", len(seeds) + p["num_holdouts"]),
            )
        )
    return out
