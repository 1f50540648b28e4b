"""MPD slices: valid files convert faithfully; every kind of bad file names file/pid/field."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.errors import ImportFormatError, InputError
from assistant.sources import mpd_reader
from assistant.sources.mpd import (
    SliceReader,
    iter_slice_paths,
    read_challenge_set,
    read_for_import,
    read_slice,
    sha256_of,
)
from assistant.store.library import TRACK_COLUMNS
from tests.sources.factory import playlist, slice_doc, write, write_slice


def test_valid_slice_converts(tmp_path: Path) -> None:
    doc = slice_doc(0, 3, 4)
    doc["playlists"][1]["collaborative"] = "true"
    doc["playlists"][2]["collaborative"] = True  # tolerated: a boolean
    doc["playlists"][0]["description"] = "road songs"
    path = write(tmp_path / "mpd.slice.0-2.json", doc)

    s = read_slice(path)

    assert [p.source_ref for p in s.playlists] == ["0", "1", "2"]
    assert {p.source for p in s.playlists} == {"mpd"}
    assert [p.collaborative for p in s.playlists] == [False, True, True]
    assert s.playlists[0].description == "road songs"
    assert s.playlists[1].description == ""
    assert s.playlists[0].track_uris == [t["track_uri"] for t in doc["playlists"][0]["tracks"]]
    assert s.entries == 12
    # Playlists overlap (tracks 3..6 shared), each distinct track once, in TRACK_COLUMNS order.
    uris = [row[0] for row in s.tracks]
    assert len(uris) == len(set(uris)) == len({u for p in s.playlists for u in p.track_uris})
    first = doc["playlists"][0]["tracks"][0]
    row = next(r for r in s.tracks if r[0] == first["track_uri"])
    assert len(row) == len(TRACK_COLUMNS)
    assert row == (
        first["track_uri"],
        first["track_name"],
        first["artist_uri"],
        first["artist_name"],
        first["album_uri"],
        first["album_name"],
        first["duration_ms"],
    )
    assert len(s.sha256) == 64
    assert s.info["version"] == "test"


def test_tracks_out_of_order_are_sorted_by_pos(tmp_path: Path) -> None:
    doc = slice_doc(0, 1, 3)
    tracks = doc["playlists"][0]["tracks"]
    doc["playlists"][0]["tracks"] = [tracks[2], tracks[0], tracks[1]]
    s = read_slice(write(tmp_path / "a.json", doc))
    assert s.playlists[0].track_uris == [t["track_uri"] for t in tracks]


def _error(path: Path) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as info:
        read_slice(path)
    assert str(path) in str(info.value)
    return info.value


def test_truncated_json_says_where(tmp_path: Path) -> None:
    text = json.dumps(slice_doc(0, 3))
    path = tmp_path / "mpd.slice.0-2.json"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    err = _error(path)
    assert "truncated" in str(err)
    assert "line 1, column" in str(err)


def test_non_json_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_text("these are not the playlists you are looking for\n", encoding="utf-8")
    assert "not a JSON file" in str(_error(path))


def test_malformed_json_in_the_middle(tmp_path: Path) -> None:
    text = json.dumps(slice_doc(0, 2)).replace('"pid": 1,', '"pid": 1,,', 1)
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    assert "malformed JSON at line 1" in str(_error(path))


def test_non_utf8_file(tmp_path: Path) -> None:
    data = json.dumps(slice_doc(0, 1)).encode().replace(b"list 0", b"list \xff\xfe")
    path = tmp_path / "latin.json"
    path.write_bytes(data)
    err = _error(path)
    assert "not UTF-8" in str(err)
    offset = data.index(b"\xff")
    assert f"byte offset {offset}" in str(err)


@pytest.mark.parametrize(
    "doc, problem",
    [
        ({"info": {}, "playlists": []}, "empty"),
        ({"info": {}}, "expected an object with a 'playlists' list"),
        ([1, 2, 3], "expected an object with a 'playlists' list"),
        ({"playlists": {"0": {}}}, "'playlists' must be a list"),
    ],
)
def test_empty_or_wrong_shape(tmp_path: Path, doc: object, problem: str) -> None:
    err = _error(write(tmp_path / "x.json", doc))
    assert problem in str(err)


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "mpd.slice.0-999.json"
    path.write_bytes(b"")
    assert "empty" in str(_error(path))


def _broken(tmp_path: Path, edit, index: int = 1) -> ImportFormatError:
    doc = slice_doc(10, 3)
    edit(doc["playlists"][index])
    err = _error(write(tmp_path / "mpd.slice.10-12.json", doc))
    assert err.index == index
    assert f"playlist #{index}" in str(err)
    return err


@pytest.mark.parametrize(
    "field, value",
    [
        ("pid", "11"),
        ("name", 11),
        ("tracks", {"0": "x"}),
        ("num_followers", "7"),
        ("modified_at", 1.5),
        ("collaborative", "maybe"),
        ("description", ["x"]),
    ],
)
def test_wrong_playlist_field_types(tmp_path: Path, field: str, value: object) -> None:
    def edit(p: dict) -> None:
        p[field] = value

    err = _broken(tmp_path, edit)
    assert err.field == field
    assert f"field '{field}'" in str(err)
    if field != "pid":
        assert err.pid == 11


@pytest.mark.parametrize(
    "field, value",
    [
        ("track_uri", 5),
        ("track_name", None),
        ("artist_uri", 3),
        ("artist_name", ["a"]),
        ("album_uri", False),
        ("album_name", 1.0),
        ("duration_ms", "200000"),
        ("duration_ms", True),
        ("pos", "2"),
    ],
)
def test_wrong_track_field_types(tmp_path: Path, field: str, value: object) -> None:
    def edit(p: dict) -> None:
        p["tracks"][2][field] = value

    err = _broken(tmp_path, edit)
    assert (err.pid, err.field) == (11, field)
    assert "track #2" in str(err)


@pytest.mark.parametrize("field", ["pid", "name", "tracks"])
def test_missing_playlist_fields(tmp_path: Path, field: str) -> None:
    err = _broken(tmp_path, lambda p: p.pop(field))
    assert err.field == field
    assert "missing" in str(err)


@pytest.mark.parametrize("field", ["track_uri", "track_name", "album_uri", "duration_ms", "pos"])
def test_missing_track_fields(tmp_path: Path, field: str) -> None:
    err = _broken(tmp_path, lambda p: p["tracks"][4].pop(field))
    assert (err.pid, err.field) == (11, field)
    assert "track #4" in str(err) and "missing" in str(err)


def test_not_a_track_uri(tmp_path: Path) -> None:
    def edit(p: dict) -> None:
        p["tracks"][0]["track_uri"] = "spotify:episode:abc"

    err = _broken(tmp_path, edit)
    assert err.field == "track_uri"


def test_track_that_is_not_an_object(tmp_path: Path) -> None:
    def edit(p: dict) -> None:
        p["tracks"][1] = "spotify:track:x"

    assert _broken(tmp_path, edit).field == "tracks"


def test_playlist_that_is_not_an_object(tmp_path: Path) -> None:
    doc = slice_doc(0, 2)
    doc["playlists"][1] = [1, 2]
    assert _error(write(tmp_path / "x.json", doc)).index == 1


def test_duplicate_pids_in_one_file(tmp_path: Path) -> None:
    doc = slice_doc(0, 3)
    doc["playlists"][2]["pid"] = 0
    err = _error(write(tmp_path / "x.json", doc))
    assert (err.index, err.pid, err.field) == (2, 0, "pid")
    assert "twice" in str(err)


def test_duplicate_positions(tmp_path: Path) -> None:
    doc = slice_doc(0, 1, 3)
    doc["playlists"][0]["tracks"][2]["pos"] = 0
    assert _error(write(tmp_path / "x.json", doc)).field == "pos"


# -- paths -----------------------------------------------------------------------------


def test_iter_slice_paths_sorts_naturally_and_dedupes(tmp_path: Path) -> None:
    for first in (10000, 2000, 0):
        write_slice(tmp_path / "data", first, 1)
    (tmp_path / "data" / "README.md").write_text("x")
    extra = write(tmp_path / "mine.json", slice_doc(50, 1))
    got = iter_slice_paths([tmp_path / "data", extra, tmp_path / "data" / "mpd.slice.0-0.json"])
    assert [p.name for p in got] == [
        "mpd.slice.0-0.json",
        "mpd.slice.2000-2000.json",
        "mpd.slice.10000-10000.json",
        "mine.json",
    ]


def test_iter_slice_paths_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        iter_slice_paths([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no MPD slice files"):
        iter_slice_paths([tmp_path / "empty"])


# -- challenge sets --------------------------------------------------------------------


def test_read_challenge_set(tmp_path: Path) -> None:
    with_seeds = playlist(1_000_002, 5)
    with_seeds.update(num_samples=5, num_holdouts=20, num_tracks=25)
    title_only = {
        "name": "chill",
        "pid": 1_000_003,
        "num_samples": 0,
        "num_holdouts": 40,
        "num_tracks": 40,
        "tracks": [],
    }
    no_name = {
        "pid": 1_000_004,
        "num_samples": 1,
        "num_holdouts": 9,
        "num_tracks": 10,
        "tracks": [with_seeds["tracks"][0]],
    }
    del with_seeds["name"]
    path = write(
        tmp_path / "challenge_set.json",
        {"date": "2018", "version": "v1", "playlists": [with_seeds, title_only, no_name]},
    )

    cases = read_challenge_set(path)

    assert [c.pid for c in cases] == [1_000_002, 1_000_003, 1_000_004]
    assert cases[0].seed_uris == [t["track_uri"] for t in with_seeds["tracks"]]
    assert cases[0].name == "" and cases[1].name == "chill"
    assert cases[1].seed_uris == [] and cases[1].num_holdouts == 40
    assert (cases[2].num_samples, cases[2].num_tracks) == (1, 10)
    first = with_seeds["tracks"][0]
    assert cases[0].seed_content[first["track_uri"]] == (first["artist_uri"], first["album_uri"])
    assert cases[1].seed_content == {}


def test_challenge_set_errors(tmp_path: Path) -> None:
    bad = write(tmp_path / "c.json", {"playlists": [{"pid": 1, "tracks": []}]})
    with pytest.raises(ImportFormatError, match="num_holdouts"):
        read_challenge_set(bad)
    dup = {"pid": 1, "num_holdouts": 1, "tracks": []}
    with pytest.raises(ImportFormatError, match="twice"):
        read_challenge_set(write(tmp_path / "d.json", {"playlists": [dup, dup]}))
    with pytest.raises(ImportFormatError, match="no playlists"):
        read_challenge_set(write(tmp_path / "e.json", {"playlists": []}))


# -- the real sample -------------------------------------------------------------------


@pytest.mark.shared_data
def test_real_sample(mpd_sample: Path) -> None:
    s = read_slice(mpd_sample)
    assert len(s.playlists) == 1_000
    assert s.entries == 61_761
    assert len(s.tracks) == 32_804
    assert any(p.collaborative for p in s.playlists)


def test_utf8_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(slice_doc(0, 1)).encode())
    assert len(read_slice(path).playlists) == 1


# -- SliceReader: later files parsed in a helper process --------------------------------


def _slices(folder: Path, count: int) -> list[Path]:
    return [write_slice(folder, 10 * i, 3) for i in range(count)]


def test_reader_helper_gives_what_parsing_here_gives(tmp_path: Path) -> None:
    files = _slices(tmp_path, 3)
    broken = slice_doc(40, 3)
    broken["playlists"][2]["tracks"][1]["track_uri"] = 17
    files.append(write(tmp_path / "mpd.slice.40-42.json", broken))
    known = {sha256_of(files[1].read_bytes())}
    with SliceReader(files, known) as reader:
        assert reader.helper_running
        via_helper = list(reader)
        assert reader.helper_running  # it answered every file (no fallback)
    here = [read_for_import(f, known) for f in files]
    assert [r.path for r in via_helper] == files
    assert [r.sha256 for r in via_helper] == [r.sha256 for r in here]
    assert via_helper[0].parsed == here[0].parsed and via_helper[2].parsed == here[2].parsed
    assert via_helper[1].parsed is None  # known: hashed, not parsed
    # The error of a file parsed in the helper is the same, down to the message and fields.
    err, expected = via_helper[3].error, here[3].error
    assert isinstance(err, ImportFormatError) and via_helper[3].parsed is None
    assert str(err) == str(expected)
    assert (err.path, err.index, err.pid, err.field) == (str(files[3]), 2, 42, "track_uri")


def test_reader_parses_here_when_the_helper_dies(tmp_path: Path) -> None:
    files = _slices(tmp_path, 4)
    with SliceReader(files, ()) as reader:
        reads = iter(reader)
        first = next(reads)
        assert reader._proc is not None
        reader._proc.kill()
        rest = list(reads)
        assert not reader.helper_running
    assert [len(r.parsed.playlists) for r in [first, *rest]] == [3, 3, 3, 3]
    assert all(r.error is None for r in rest)


def test_reader_parses_here_when_the_helper_is_another_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if this app were another copy than the one the helper would import.
    monkeypatch.setattr(
        mpd_reader,
        "__file__",
        str(tmp_path / "elsewhere" / "assistant" / "sources" / "mpd_reader.py"),
    )
    files = _slices(tmp_path, 3)
    with SliceReader(files, ()) as reader:
        assert [len(r.parsed.playlists) for r in reader] == [3, 3, 3]
        assert not reader.helper_running  # it answered nothing: the files were parsed here


def test_reader_without_a_helper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _slices(tmp_path, 2)
    with SliceReader(files[:1], ()) as reader:  # one file: nothing to overlap with
        assert not reader.helper_running
        assert len(list(reader)) == 1
    monkeypatch.setattr(sys, "frozen", True, raising=False)  # a bundled app: no `python -c`
    with SliceReader(files, ()) as reader:
        assert not reader.helper_running
        assert [len(r.parsed.playlists) for r in reader] == [3, 3]


def test_reader_stops_its_helper_on_exit(tmp_path: Path) -> None:
    files = _slices(tmp_path, 3)
    with SliceReader(files, ()) as reader:
        proc = reader._proc
        next(iter(reader))  # then stop early, as a cancel does
    assert proc is not None and proc.returncode is not None


HELPER_OWNER = """
import sys, time
from assistant.sources.mpd import SliceReader
reader = SliceReader(sys.argv[1:], ())
print(reader._proc.pid, flush=True)
time.sleep(120)
"""


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "State:\tZ" in status  # exited, waiting to be reaped by its new parent


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_helper_exits_when_its_reader_is_killed(tmp_path: Path) -> None:
    # Big enough that a parsed file does not fit in the pipe: the helper is blocked
    # writing when its reader dies, and must notice.
    files = [write_slice(tmp_path, 1000 * i, 400) for i in range(3)]
    root = Path(__file__).resolve().parents[2]
    owner = subprocess.Popen(
        [sys.executable, "-c", HELPER_OWNER, *map(str, files)],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert owner.stdout is not None
    with owner.stdout:
        helper_pid = int(owner.stdout.readline())
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait(timeout=30)
    deadline = time.monotonic() + 30
    while not _gone(helper_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(helper_pid)
