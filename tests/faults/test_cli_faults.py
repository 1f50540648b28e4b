"""Items 11, 13, 14 and 16: CLI paths, arguments and terminal output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.domain import Track
from assistant.store import Library
from tests.faults.conftest import cli_process, run_cli
from tests.sources.factory import uid, write, write_slice


def _csv(path: Path, n: int = 3) -> Path:
    rows = ["Track URI"] + [f"spotify:track:{uid(i)}" for i in range(n)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


READ_ONLY_COMMANDS = [
    ["stats"],
    ["playlists"],
    ["show", "1"],
    ["export-file", "1", "--format", "csv", "--out", "out.csv"],
    ["models"],
    ["recommend", "--playlist", "1"],
]


@pytest.mark.parametrize("argv", READ_ONLY_COMMANDS, ids=lambda a: a[0])
def test_11_read_only_commands_never_create_a_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    for lib in (tmp_path / "lib.sqlite", tmp_path / "no" / "such" / "lib.sqlite"):
        code, _, err = run_cli(capsys, *argv, "--library", lib)
        assert code == 3 and f"There is no library at {lib}" in err, err
        assert not lib.exists() and not (tmp_path / "no").exists()


def test_11_writing_commands_say_where_they_create_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = tmp_path / "lib.sqlite"
    code, _, err = run_cli(capsys, "import-file", _csv(tmp_path / "mix.csv"), "--library", lib)
    assert code == 0 and f"Created a new library at {lib}." in err
    code, _, err = run_cli(capsys, "import-file", _csv(tmp_path / "b.csv"), "--library", lib)
    assert code == 0 and "Created" not in err


def _leftovers(lib: Path) -> list[str]:
    return sorted(p.name for p in lib.parent.glob(lib.name + "*"))


def test_11_a_refused_import_leaves_no_new_library_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("Track URI\nnot a track\n", encoding="utf-8")
    bad_mpd = write(tmp_path / "mpd.slice.0-0.json", {"playlists": "nope"})
    lib = tmp_path / "lib.sqlite"
    for argv in (["import-file", bad_csv], ["import-mpd", bad_mpd]):
        code, _, err = run_cli(capsys, *argv, "--library", lib)
        assert code != 0 and "Traceback" not in err, err
        assert f"Removed the new library at {lib} again" in err, err
        assert _leftovers(lib) == [], argv  # no file, no -wal/-shm
    # A file refused next to one imported: the library holds that one, and stays.
    good = write_slice(tmp_path / "good")
    code, _, err = run_cli(capsys, "import-mpd", good, bad_mpd, "--library", lib)
    assert code == 1 and "Removed" not in err and lib.exists()
    # An existing library is never removed, not even an empty one.
    empty = tmp_path / "empty.sqlite"
    Library(empty).close()
    code, _, err = run_cli(capsys, "import-file", bad_csv, "--library", empty)
    assert code != 0 and "Removed" not in err and empty.exists()
    with Library(empty) as library:
        assert library.count_playlists() == 0


def test_11_a_new_library_open_elsewhere_is_kept(tmp_path: Path) -> None:
    lib = tmp_path / "lib.sqlite"
    mine = Library(lib)
    assert mine.created
    other = Library(lib)  # a concurrent import opened it before this one ended
    assert mine.close_removing_if_unused() is False and lib.exists()
    other.create_local_playlist("still here")
    other.close()
    with Library(lib) as library:
        assert library.count_playlists() == 1
    # Alone and empty, a new library goes.
    fresh = Library(tmp_path / "fresh.sqlite")
    assert fresh.close_removing_if_unused() is True and _leftovers(fresh.path) == []


def test_11_unusable_places_are_clear_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mix = _csv(tmp_path / "mix.csv")
    a_file = tmp_path / "file"
    a_file.write_text("x")
    cases = {
        tmp_path / "missing" / "lib.sqlite": "does not exist",
        a_file / "lib.sqlite": "is not a folder",
        tmp_path: "is a folder, not a library file",
    }
    for lib, message in cases.items():
        code, _, err = run_cli(capsys, "import-file", mix, "--library", lib)
        assert code == 1 and message in err and "Traceback" not in err, err
    assert not (tmp_path / "missing").exists()
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        code, _, err = run_cli(capsys, "import-file", mix, "--library", locked / "lib.sqlite")
        assert code == 1 and "is not writable" in err


@pytest.mark.parametrize(
    "argv",
    [["--k", "0"], ["--k", "-1"], ["--max-per-artist", "-1"]],
    ids=lambda a: " ".join(a),
)
def test_14_recommend_refuses_bad_counts_before_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    lib = tmp_path / "lib.sqlite"
    run_cli(capsys, "import-file", _csv(tmp_path / "mix.csv"), "--library", lib)
    with pytest.raises(SystemExit) as exited:
        run_cli(capsys, "recommend", "--playlist", "1", *argv, "--library", lib)
    assert exited.value.code == 2
    assert "must be" in capsys.readouterr().err
    with Library(lib) as library:
        assert library.stats()["recommendation_runs"] == 0


def test_13_train_out_is_checked_before_training_and_stored_absolute(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = tmp_path / "lib.sqlite"
    run_cli(capsys, "import-file", _csv(tmp_path / "mix.csv"), "--library", lib)
    folder = tmp_path / "folder"
    folder.mkdir()
    for out, message in (
        (folder, "is a folder"),
        (tmp_path / "nope" / "m.ckpt", "does not exist"),
    ):
        code, _, err = run_cli(capsys, "train", "--out", out, "--epochs", "1", "--library", lib)
        assert code == 2 and message in err and "Training" not in err, err
    with Library(lib) as library:
        assert library.training_runs() == []
    from assistant.cli.common import checked_out_path

    monkeypatch.chdir(tmp_path)
    assert checked_out_path(Path("m.ckpt")) == tmp_path / "m.ckpt"


NASTY = "\x1b[31mred\x1b[0m\x07bell\u202egnp.exe\rover"


def test_16_names_are_escaped_and_cut_for_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = tmp_path / "lib.sqlite"
    with Library(lib) as library:
        library.add_tracks([Track(f"spotify:track:{uid(1)}", NASTY, artist_name=NASTY)])
        library.create_local_playlist(NASTY, [f"spotify:track:{uid(1)}"])
        library.create_local_playlist("x" * 1_000_000, [f"spotify:track:{uid(1)}"])
    for argv in (["playlists"], ["show", "1"]):
        code, out, _ = run_cli(capsys, *argv, "--library", lib)
        assert code == 0
        assert not any(ch in out for ch in "\x1b\x07\u202e\r"), repr(out)
        assert "\\x1b[31mred" in out and "\\u202egnp.exe" in out
    code, out, _ = run_cli(capsys, "playlists", "--library", lib)
    assert max(map(len, out.splitlines())) < 300 and "x" * 198 + "…" in out
    with Library(lib) as library:  # the library keeps the exact names
        assert library.playlist(1).name == NASTY


@pytest.mark.slow
def test_16_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    lib = tmp_path / "lib.sqlite"
    with Library(lib) as library:
        library.add_tracks([Track(f"spotify:track:{uid(1)}", "t")])
        for i in range(3000):
            library.create_local_playlist(f"playlist {i:05d}", [f"spotify:track:{uid(1)}"])
    proc = cli_process("playlists", "--limit", "0", "--library", lib)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # `| head -1`
    err = proc.stderr.read() if proc.stderr else ""
    proc.wait(timeout=60)
    assert first.strip() and "Traceback" not in err and "BrokenPipe" not in err, err


@pytest.mark.slow
def test_16_ctrl_c_during_start_up_prints_no_traceback(tmp_path: Path) -> None:
    for delay in (0.3, 0.8, 1.5):
        proc = cli_process("stats", "--library", tmp_path / "lib.sqlite")
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert "Traceback" not in err, (delay, err)


def test_16_a_killed_writers_temp_file_is_cleaned_up(tmp_path: Path) -> None:
    from assistant.ml import checkpoint as ckpt
    from tests.faults.test_checkpoint_faults import small_checkpoint

    target = tmp_path / "m.ckpt"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    stale = tmp_path / f".m.ckpt.{dead.stdout.strip()}.abcd.tmp"
    stale.write_bytes(b"half a checkpoint")
    mine = tmp_path / f".m.ckpt.{os.getpid()}.efgh.tmp"  # a live writer's: kept
    mine.write_bytes(b"in progress")
    small_checkpoint(target)
    assert not stale.exists() and mine.exists()
    assert ckpt.load(target)
