"""Items 11, 13, 14 and 16: CLI paths, arguments and terminal output."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.store import Library
from tests.faults.conftest import run_cli
from tests.sources.factory import uid


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
