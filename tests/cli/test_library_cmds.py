"""The library commands, run in-process through assistant.cli.main and once as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main
from tests.sources.factory import slice_doc, write, write_slice

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def lib(tmp_path: Path) -> str:
    return str(tmp_path / "library.sqlite")


def test_import_browse_show_export(
    tmp_path: Path, lib: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    write_slice(data, 0, 3, n_tracks=4)
    write_slice(data, 10, 2, n_tracks=4)

    code, out, err = run(capsys, "import-mpd", str(data), "--library", lib)
    assert code == 0, err
    assert "Imported 5 playlists (20 entries) from 2 file(s)" in out
    assert "import" in err and "entries" in err  # progress on stderr

    code, out, _ = run(capsys, "import-mpd", str(data), "--library", lib)
    assert code == 0 and "Skipped 2 file(s)" in out

    code, out, _ = run(capsys, "playlists", "--search", "list 1", "--json", "--library", lib)
    rows = json.loads(out)
    assert {r["source_ref"] for r in rows} == {"1", "10", "11"}

    code, out, _ = run(capsys, "playlists", "--source", "mpd", "--limit", "2", "--library", lib)
    assert code == 0 and "first 2" in out

    code, out, _ = run(capsys, "show", "mpd:10", "--library", lib)
    assert code == 0
    assert out.splitlines()[0].startswith("list 10  [id 4, mpd:10]")
    assert "Song 30 — Artist 2  [Album 8]  3:00" in out

    code, out, _ = run(capsys, "show", "list 11", "--json", "--library", lib)
    shown = json.loads(out)
    assert shown["source_ref"] == "11" and len(shown["tracks"]) == 4
    assert shown["tracks"][0]["name"] == "Song 33"

    out_csv = tmp_path / "l10.csv"
    code, out, _ = run(
        capsys, "export-file", "4", "--format", "csv", "--out", str(out_csv), "--library", lib
    )
    assert code == 0 and out_csv.read_text(encoding="utf-8").startswith("Track URI,")
    out_m3u = tmp_path / "l10.m3u"
    code, _, _ = run(
        capsys, "export-file", "mpd:10", "--format", "m3u", "--out", str(out_m3u), "--library", lib
    )
    assert code == 0 and out_m3u.read_text(encoding="utf-8").startswith("#EXTM3U\n")

    code, out, _ = run(capsys, "import-file", str(out_csv), "--library", lib)
    assert code == 0 and "4 tracks" in out

    code, out, _ = run(capsys, "stats", "--json", "--library", lib)
    stats = json.loads(out)
    assert (stats["playlists"], stats["sources"]) == (6, {"mpd": 5, "file": 1})
    code, out, _ = run(capsys, "stats", "--library", lib)
    assert code == 0 and "playlists" in out


def test_broken_file_among_good_ones(
    tmp_path: Path, lib: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    write_slice(data, 0, 2)
    doc = slice_doc(5, 2)
    del doc["playlists"][1]["tracks"][0]["track_uri"]
    write(data / "mpd.slice.5-6.json", doc)
    (data / "mpd.slice.9-9.json").write_text('{"playlists": [', encoding="utf-8")

    code, out, err = run(capsys, "import-mpd", str(data), "--library", lib)

    assert code == 1
    assert "mpd.slice.5-6.json, playlist #1, pid 6, field 'track_uri'" in err
    assert "mpd.slice.9-9.json: the JSON is truncated" in err
    assert "Imported 2 playlists" in out and "2 file(s) could not be imported" in out


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (["show", "mpd:404"], 3, "No playlist 'mpd:404'"),
        (["export-file", "1", "--format", "csv", "--out", "x.csv"], 3, "No playlist with id 1"),
        (["import-mpd", "/nonexistent/mpd"], 2, "no such file or folder"),
    ],
)
def test_errors_exit_nonzero(
    lib: str, capsys: pytest.CaptureFixture[str], argv: list[str], code: int, message: str
) -> None:
    got, _, err = run(capsys, *argv, "--library", lib)
    assert got == code
    assert message in err


def test_bad_csv_exit_status(tmp_path: Path, lib: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "names.csv"
    path.write_text("Name\nSong\n", encoding="utf-8")
    code, _, err = run(capsys, "import-file", str(path), "--library", lib)
    assert code == 2 and "no track URI column" in err


def test_demo_command(lib: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo", "--library", lib)
    assert code == 0 and "Imported 2,000 playlists" in out and "synthetic" in out


@pytest.mark.slow
def test_as_a_process(tmp_path: Path, lib: str) -> None:
    data = tmp_path / "data"
    write_slice(data, 0, 2)
    (data / "mpd.slice.7-7.json").write_bytes(b"\xff\xfe{}")
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "import-mpd", str(data), "--library", lib],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert "mpd.slice.7-7.json: not UTF-8 text" in proc.stderr
    assert "Imported 2 playlists" in proc.stdout
