"""Item 10: an interrupted CLI training never stays ``running`` in training_runs."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from assistant.store import Library
from tests.faults.conftest import cli_process
from tests.jobs.test_training import make_library


def _runs(lib: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(lib)
    try:
        return conn.execute("SELECT status, message FROM training_runs ORDER BY id").fetchall()
    finally:
        conn.close()


def _wait_for_running(lib: Path, proc, n: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if len(_runs(lib)) >= n and _runs(lib)[-1][0] == "running":
            time.sleep(1.0)  # into the epochs
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    pytest.fail("training did not start")


def test_10_a_dead_processes_run_is_marked_failed_on_the_next_start(tmp_path: Path) -> None:
    lib = make_library(tmp_path / "library.sqlite", n_playlists=6)
    with Library(lib) as library:
        dead = library.start_training_run(
            model="gat", config={}, device="cpu", library_fingerprint=""
        )
        library.conn.execute("UPDATE training_runs SET pid = 999999999 WHERE id = ?", (dead,))
        alive = library.start_training_run(
            model="gat", config={}, device="cpu", library_fingerprint=""
        )
        library.start_training_run(model="gat", config={}, device="cpu", library_fingerprint="")
        runs = {r.id: r for r in library.training_runs()}
    assert runs[dead].status == "failed" and "pid 999999999" in runs[dead].message
    assert runs[alive].status == "running"  # this process is alive


@pytest.mark.slow
def test_10_sigint_cancels_and_kill_9_is_failed_next_time(tmp_path: Path) -> None:
    lib = make_library(tmp_path / "library.sqlite", n_playlists=40)
    argv = ["train", "--model", "lightgcn", "--epochs", "100000", "--patience", "100000",
            "--dim", "8", "--out", tmp_path / "m.ckpt", "--no-activate", "--library", lib]  # fmt: skip
    proc = cli_process(*argv)
    _wait_for_running(lib, proc, 1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert _runs(lib) == [("cancelled", "interrupted (Ctrl+C)")]
    assert not (tmp_path / "m.ckpt").exists()

    proc = cli_process(*argv)
    _wait_for_running(lib, proc, 2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    assert _runs(lib)[-1][0] == "running"  # nobody could write anything
    with Library(lib) as library:
        assert library.fail_stale_training_runs() == 1
    assert _runs(lib)[-1][0] == "failed"
    assert not list(tmp_path.glob(".m.ckpt.*"))


@pytest.mark.slow
def test_12_a_checkpoint_from_another_library_is_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.jobs.training import train_on_library
    from assistant.ml.train import TrainConfig
    from tests.faults.conftest import run_cli

    home = make_library(tmp_path / "home.sqlite", n_playlists=40)
    other = make_library(tmp_path / "other.sqlite", n_playlists=40, seed=1)
    config = TrainConfig(model="lightgcn", epochs=2, dim=8, device="cpu")
    out = train_on_library(home, config, out_path=tmp_path / "m.ckpt").checkpoint_path

    code, _, err = run_cli(capsys, "use", out, "--library", other)
    assert code == 0 and "trained on another library: it knows 100% of" in err, err
    code, _, err = run_cli(capsys, "use", out, "--library", home)
    assert code == 0 and "another library" not in err, err

    evaluate = ["evaluate", "--checkpoint", out, "--protocol", "link", "--json"]
    code, text, err = run_cli(capsys, *evaluate, "--library", other)
    assert code == 0, err
    notes = " ".join(json.loads(text)["notes"])
    assert "trained on another library" in notes and "lists as held out" not in notes
    code, text, err = run_cli(capsys, *evaluate, "--library", home)
    assert code == 0, err
    assert "lists as held out" in " ".join(json.loads(text)["notes"])
