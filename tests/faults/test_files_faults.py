"""Items 5, 8, 9, 15 and the semicolon CSV of 16: what files the importers accept."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.domain import Track
from assistant.errors import ImportFormatError, InputError
from assistant.jobs.imports import export_playlist_file, import_csv
from assistant.sources import files
from assistant.sources.mpd import read_slice
from assistant.store import Library
from tests.faults.conftest import ROOT, run_cli
from tests.sources.factory import slice_doc, uid, write


def test_5_an_absurd_file_is_refused_from_its_size(tmp_path: Path) -> None:
    huge = tmp_path / "mpd.slice.huge.json"
    with huge.open("wb") as fh:  # sparse: 1 GiB that takes no disk
        fh.truncate(1 << 30)
    with pytest.raises(ImportFormatError, match=r"1,024 MiB: far larger than an MPD slice"):
        read_slice(huge)
    csv = tmp_path / "huge.csv"
    with csv.open("wb") as fh:
        fh.truncate(1 << 30)
    with pytest.raises(InputError, match=r"far larger than a playlist file"):
        files.read_csv(csv)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_5_peak_memory_on_a_1_gib_garbage_file(tmp_path: Path) -> None:
    huge = tmp_path / "garbage.json"
    with huge.open("wb") as fh:
        fh.seek((1 << 30) - 5)
        fh.write(b"junk!")
    code = (
        "import sys; from assistant.jobs.imports import import_mpd; "
        "from assistant.store import Library; "
        "s = import_mpd(Library(sys.argv[2]), [sys.argv[1]]); print(s.errors[0]); "
        # VmHWM: this process's own peak (ru_maxrss would carry over pytest's, the parent's).
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(huge), str(tmp_path / "lib.sqlite")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "far larger than an MPD slice" in done.stdout, done.stderr
    peak_kib = int(done.stdout.split()[-1])
    assert peak_kib <= 300 * 1024


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("track_uri", "spotify:track:"),
        ("track_uri", "spotify:track:not a real id ; DROP TABLE"),
        ("track_uri", "spotify:track:" + "x" * 23),
        ("artist_uri", "spotify:artist:short"),
        ("album_uri", "spotify:album:" + "é" * 22),
    ],
)
def test_8_mpd_uris_must_be_spotify_ids(tmp_path: Path, field: str, value: str) -> None:
    doc = slice_doc(0, 3)
    doc["playlists"][1]["tracks"][2][field] = value
    path = write(tmp_path / "mpd.slice.0-2.json", doc)
    with pytest.raises(ImportFormatError) as caught:
        read_slice(path)
    assert caught.value.pid == 1 and caught.value.field == field
    assert "track #2" in str(caught.value) and "22 letters and digits" in str(caught.value)


def test_8_the_apps_own_csv_export_imports_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = tmp_path / "lib.sqlite"
    write(tmp_path / "mpd.slice.0-2.json", slice_doc(0, 3))
    assert run_cli(capsys, "import-mpd", tmp_path / "mpd.slice.0-2.json", "--library", lib)[0] == 0
    out = tmp_path / "list 1.csv"
    assert (
        run_cli(capsys, "export-file", "mpd:1", "--format", "csv", "--out", out, "--library", lib)[
            0
        ]
        == 0
    )
    code, _, err = run_cli(capsys, "import-file", out, "--library", lib)
    assert code == 0, err


CONTROL = [chr(c) for c in (*range(32), 127, 0x85, 0x2028, 0x2029)]


def test_9_m3u_round_trip_with_every_control_character(tmp_path: Path) -> None:
    tracks = [
        Track(f"spotify:track:{uid(i)}", f"Song{ch}{i}", artist_name=f"Band{ch}", duration_ms=1000)
        for i, ch in enumerate(CONTROL)
    ]
    path = tmp_path / "all.m3u"
    files.write_m3u(path, tracks)
    back = files.read_m3u(path)
    assert back.playlist.track_uris == [t.uri for t in tracks]
    assert all(len(row[1]) == len(t.name) for row, t in zip(back.tracks, tracks, strict=True))


def test_9_the_apps_own_m3u_imports_again(tmp_path: Path) -> None:
    with Library(tmp_path / "lib.sqlite") as library:
        library.add_tracks([Track(f"spotify:track:{uid(1)}", "Carriage\rReturn", artist_name="A")])
        pid = library.create_local_playlist("cr", [f"spotify:track:{uid(1)}"])
        out = export_playlist_file(library, pid, "m3u", tmp_path / "cr.m3u")
        assert import_csv(library, out).entries == 1


def test_15_csv_round_trip_keeps_names_exactly(tmp_path: Path) -> None:
    names = ["Sultan + Shepard ", "  leading", "\ttabbed\t", "plain", " ", "a,b", 'q"uote']
    tracks = [
        Track(f"spotify:track:{uid(i)}", n, f"spotify:artist:{uid(99)}", n, "", f" {n} ", 1)
        for i, n in enumerate(names)
    ]
    path = tmp_path / "names.csv"
    files.write_csv(path, tracks)
    back = files.read_csv(path)
    assert [(r[1], r[3], r[5]) for r in back.tracks] == [(n, n, f" {n} ") for n in names]


def test_16_a_semicolon_separated_csv_is_read(tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_text(
        "Track URI;Track Name;Artist Name(s)\n"
        f"spotify:track:{uid(1)};One, two;Someone\n"
        f"spotify:track:{uid(2)};Three;Else\n",
        encoding="utf-8",
    )
    parsed = files.read_csv(path)
    assert [r[1] for r in parsed.tracks] == ["One, two", "Three"]
    assert json.dumps(parsed.playlist.track_uris)
