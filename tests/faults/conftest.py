"""Shared helpers of the fault sweep (issue 10): the CLI in-process and as a process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def cli_process(*argv: str, **kwargs) -> subprocess.Popen[str]:
    """``python -m assistant ARGV`` as a child process (for kills, signals and races)."""
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", *map(str, argv)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        **kwargs,
    )


def integrity(path: Path) -> tuple[str, list]:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return (
            conn.execute("PRAGMA integrity_check").fetchone()[0],
            conn.execute("PRAGMA foreign_key_check").fetchall(),
        )
    finally:
        conn.close()


@pytest.fixture
def lib(tmp_path: Path) -> Path:
    return tmp_path / "library.sqlite"


@pytest.fixture
def small_fs(tmp_path: Path):
    """Mounts tiny tmpfs file systems (root only; skips otherwise): ``small_fs(size)``.

    Disk-full and read-only media are real here, not simulated. Unmounted afterwards.
    """
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        if os.geteuid() != 0:
            pytest.skip("mounting a small tmpfs needs root")
        point = tmp_path / f"fs{len(mounted)}"
        point.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
            capture_output=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False)


def remount_read_only(point: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)
