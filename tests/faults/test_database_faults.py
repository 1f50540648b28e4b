"""Item 7: read-only libraries and full disks give messages, never tracebacks; data intact."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from assistant.config import BUNDLED_CHECKPOINT
from assistant.errors import LibraryError
from assistant.jobs.imports import import_mpd
from assistant.store import Library
from tests.faults.conftest import integrity, remount_read_only, run_cli
from tests.sources.factory import slice_doc, uid, write, write_slice


def _csv(path: Path, n: int) -> Path:
    rows = ["Track URI"] + [f"spotify:track:{uid(i)}" for i in range(n)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_7_read_only_library(tmp_path: Path, small_fs, capsys: pytest.CaptureFixture[str]) -> None:
    media = small_fs("16m")
    lib = media / "library.sqlite"
    data = write_slice(tmp_path / "data", 0, 5)
    assert run_cli(capsys, "import-mpd", data, "--library", lib)[0] == 0
    before = lib.read_bytes()
    remount_read_only(media)
    code, out, err = run_cli(capsys, "stats", "--json", "--library", lib)
    assert code == 0 and json.loads(out)["playlists"] == 5, err
    for argv in (
        ["import-mpd", write_slice(tmp_path / "more", 10, 2)],
        ["import-file", _csv(tmp_path / "mix.csv", 3)],
    ):
        code, _, err = run_cli(capsys, *argv, "--library", lib)
        assert code == 1 and "is read-only: nothing was changed" in err, err
    seeds = tmp_path / "seeds.json"
    seeds.write_text(json.dumps([f"spotify:track:{uid(1)}"]))
    code, out, err = run_cli(
        capsys, "recommend", "--seeds", seeds, "--checkpoint", BUNDLED_CHECKPOINT,
        "--k", "3", "--library", lib,
    )  # fmt: skip
    # The bundled (demo) model knows none of these seeds: it says so and stores no run,
    # so nothing needs writing (exit 0); were a run stored, the read-only error applies.
    assert (code == 0 and "knows none" in out) or (code == 1 and "is read-only" in err), err
    assert lib.read_bytes() == before


def test_7_disk_full_at_commit_rolls_back_with_a_message(tmp_path: Path) -> None:
    with Library(tmp_path / "library.sqlite") as library:
        import_mpd(library, [write_slice(tmp_path / "a", 0, 5)])
        before = library.stats()
        (pages,) = library.conn.execute("PRAGMA page_count").fetchone()
        # SQLite's own limit on the file's size: the same SQLITE_FULL as a full disk.
        library.conn.execute(f"PRAGMA max_page_count = {pages + 1}")
        with pytest.raises(LibraryError, match="is full: the change in progress was rolled"):
            import_mpd(library, [write(tmp_path / "b" / "s.json", slice_doc(100, 300, 30))])
    with Library(tmp_path / "library.sqlite") as library:
        assert library.stats() == before
    assert integrity(tmp_path / "library.sqlite") == ("ok", [])


def test_7_disk_full_cli_import(
    tmp_path: Path, small_fs, capsys: pytest.CaptureFixture[str]
) -> None:
    disk = small_fs("1m")
    lib = disk / "library.sqlite"
    first = write_slice(tmp_path / "a", 0, 3)
    assert run_cli(capsys, "import-mpd", first, "--library", lib)[0] == 0
    with Library(lib) as library:
        before = library.stats()
    big = write(tmp_path / "b" / "mpd.slice.big.json", slice_doc(1000, 400, 40))
    for argv in (["import-mpd", big], ["import-file", _csv(tmp_path / "mix.csv", 20000)]):
        code, out, err = run_cli(capsys, *argv, "--library", lib)
        assert code == 1, out
        assert "is full: the change in progress was rolled back" in err, err
    assert integrity(lib) == ("ok", [])
    with Library(lib) as library:
        assert library.stats() == before
    # Room again: the same import now succeeds.
    subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
    assert run_cli(capsys, "import-mpd", big, "--library", lib)[0] == 0
    assert integrity(lib) == ("ok", [])


def test_7_errors_are_library_errors(tmp_path: Path) -> None:
    with Library(tmp_path / "library.sqlite") as library:
        library.conn.execute("PRAGMA max_page_count = 1")
        with pytest.raises(LibraryError, match="is full"):
            library.set_meta("k", "v" * 100_000)
