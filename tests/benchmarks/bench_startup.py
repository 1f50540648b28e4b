"""CLI start-up: wall time and peak RSS of `--help`, `stats` and `import-mpd` (one slice).

    python tests/benchmarks/bench_startup.py [--code DIR] [--repeat N] [--slice FILE]

``--code DIR`` runs another checkout's code (e.g. an older commit unpacked with
``git archive COMMIT | tar -x -C DIR``) for a before/after table. Peak RSS is the
command's process and its children, sampled every 10 ms with psutil. Each run gets a
fresh data directory.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT.parent / "shared" / "data" / "mpd-sample"


def measure(code: Path, args: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of `python -m assistant ARGS` run from ``code``."""
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, PLAYLIST_ASSISTANT_HOME=home)
        args = [a.replace("{home}", home) for a in args]
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", *args],
            cwd=code,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        ps, peak = psutil.Process(proc.pid), 0
        while proc.poll() is None:
            try:
                rss = ps.memory_info().rss + sum(
                    c.memory_info().rss for c in ps.children(recursive=True)
                )
                peak = max(peak, rss)
            except psutil.Error:
                pass
            time.sleep(0.01)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"{args} failed: {proc.stderr.read().decode()[-500:]}")
        return wall, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--slice", type=Path, default=SAMPLE)
    opts = parser.parse_args()
    commands = {
        "--help": ["--help"],
        "stats": ["stats", "--library", "{home}/lib.sqlite"],
        "import-mpd (1 slice)": ["import-mpd", "--library", "{home}/lib.sqlite", str(opts.slice)],
    }
    print(f"code: {opts.code}  (median of {opts.repeat})")
    print("| command | wall s | peak RSS MiB |\n|---|---:|---:|")
    for name, args in commands.items():
        runs = [measure(opts.code, args) for _ in range(opts.repeat)]
        wall = statistics.median(r[0] for r in runs)
        rss = statistics.median(r[1] for r in runs)
        print(f"| `{name}` | {wall:.2f} | {rss:.0f} |")


if __name__ == "__main__":
    main()
