"""MPD slice files: finding, reading and validating one file.

A slice file (``mpd.slice.0-999.json``) is one JSON object ``{"info": ..., "playlists":
[...]}`` of ~33 MB. Each file is read in one go (bytes, sha256, orjson), validated
completely, and turned into :class:`~assistant.domain.Playlist` objects plus track rows in
:data:`~assistant.store.library.TRACK_COLUMNS` order; nothing of a file reaches the library
unless all of it is valid. Callers process one file at a time, so memory stays flat however
many files a folder holds.

The validation loop is the hot path (~67k entries per real slice): it indexes the track
dicts directly and checks types with ``type(x) is ...`` and only re-walks a playlist slowly
to name the offending field once something is wrong.

This module imports neither the store nor the reader: the helper process of
:mod:`assistant.sources.mpd_reader` imports it alone.
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import orjson

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
# A Spotify URI's id is 22 base-62 characters (as the CSV reader checks); artist and
# album URIs may also be empty.
_URI_PATTERNS = {
    kind: re.compile(rf"spotify:{kind}:[0-9A-Za-z]{{22}}") for kind in ("track", "artist", "album")
}
_URI_FIELDS = (("track_uri", "track"), ("artist_uri", "artist"), ("album_uri", "album"))
# Files are read whole and parsed (~3.5x their size in memory while parsing): a real
# slice is 20–35 MB and a challenge set ~100 MB, so anything past this is refused from
# its size before a byte is read (a 1 GB file of garbage would otherwise take ~3.4 GiB).
MAX_FILE_BYTES = 256 << 20
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


def read_bytes(path: str | Path, *, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes; a file over ``limit`` is refused from its size, unread.

    Raises:
        ImportFormatError: the file is far larger than any MPD file.
        InputError: the file cannot be read.
    """
    try:
        with Path(path).open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > limit:
                raise ImportFormatError(
                    str(path),
                    f"the file is {size / 2**20:,.0f} MiB: far larger than an MPD slice "
                    f"(20–35 MB) or a challenge set (~100 MB), so it was not read "
                    f"(the limit is {limit / 2**20:,.0f} MiB).",
                )
            return fh.read()
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
    if not _uris_valid(rows):
        _explain_uris(raw_playlists, path)
    return playlists, sorted(rows.values(), key=_URI)


def _uris_valid(rows: dict[str, tuple]) -> bool:
    """Every distinct track, artist and album URI of a file is a Spotify URI.

    Checked once per distinct value (a C-level map of compiled patterns), not per entry;
    in a helper-process import this runs beside the SQLite writer.
    """
    artists = set(map(itemgetter(2), rows.values()))
    albums = set(map(itemgetter(4), rows.values()))
    artists.discard("")
    albums.discard("")
    return (
        all(map(_URI_PATTERNS["track"].fullmatch, rows))
        and all(map(_URI_PATTERNS["artist"].fullmatch, artists))
        and all(map(_URI_PATTERNS["album"].fullmatch, albums))
    )


def _explain_uris(raw_playlists: list, path: str) -> NoReturn:
    for index, p in enumerate(raw_playlists):
        for i, t in enumerate(p["tracks"]):
            for name, kind in _URI_FIELDS:
                value = t[name]
                if (value or kind == "track") and not _URI_PATTERNS[kind].fullmatch(value):
                    raise ImportFormatError(
                        path,
                        f"track #{i}: {_shown(value)} is not a Spotify {kind} URI "
                        f"(spotify:{kind}:<22 letters and digits>).",
                        index=index,
                        pid=p["pid"],
                        field=name,
                    )
    raise ImportFormatError(path, "invalid Spotify URIs.", field="tracks")


def _shown(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


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


# -- memory ---------------------------------------------------------------------------


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
