"""1 process vs N torchrun processes (gloo, CPU): wall time and validation metrics.

The library is the real MPD sample (``../shared/data/mpd-sample``) when present, else one
generated full-size slice (``gen_mpd.py``). Every run is the CLI a person would run —
``python -m assistant train`` or ``torchrun --standalone --nproc-per-node N -m assistant
train`` — with the default model and the given ``--epochs`` cap; metrics are the
validation playlists' (held out by the job, the same for every run of a seed).

    nice .venv/bin/python tests/benchmarks/bench_distributed.py --epochs 4 \
        --seeds 0 1 2 --nproc 1 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "mpd-sample" / "mpd.slice.sample-1000.json"


def make_library(folder: Path) -> tuple[Path, str]:
    from assistant.jobs.imports import import_mpd
    from assistant.store import Library

    if SAMPLE.exists():
        source, label = SAMPLE, "real MPD sample (1,000 playlists)"
    else:
        sys.path.insert(0, str(HERE))
        import gen_mpd

        paths, _ = gen_mpd.generate(folder / "json", 1)
        source, label = paths[0], "1 generated slice (1,000 playlists)"
    lib_path = folder / "lib.sqlite"
    with Library(lib_path) as lib:
        summary = import_mpd(lib, [source])
    assert summary.ok, summary.errors
    return lib_path, label


def train(nproc: int, seed: int, epochs: int, lib: Path, out: Path, threads: int) -> dict:
    argv = ["train", "--library", str(lib), "--out", str(out), "--device", "cpu"]
    argv += ["--epochs", str(epochs), "--seed", str(seed), "--no-activate", "--json"]
    if nproc == 1:
        cmd = [sys.executable, "-m", "assistant", *argv]
    else:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
        cmd += [f"--nproc-per-node={nproc}", "-m", "assistant", *argv]
    # torch threads per process: N processes share the cores (ml.distributed); one
    # process gets ``threads`` (the app's default: half the cores, at least 2).
    per_process = max(1, (os.cpu_count() or 1) // nproc) if nproc > 1 else threads
    env = {**os.environ, "OMP_NUM_THREADS": str(per_process)}
    env["PLAYLIST_ASSISTANT_THREADS"] = str(per_process)
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"training failed ({nproc} processes):\n{proc.stderr[-3000:]}")
    outcome = json.loads(proc.stdout)
    row = {"nproc": nproc, "threads": per_process, "seed": seed, "wall_s": wall, "load": load}
    return row | outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--nproc", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--threads", type=int, default=2, help="torch threads of 1 process")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-ddp-") as tmp:
        os.environ.setdefault("PLAYLIST_ASSISTANT_HOME", str(Path(tmp) / "home"))
        lib, label = make_library(Path(tmp))
        for seed in args.seeds:
            for n in args.nproc:
                r = train(n, seed, args.epochs, lib, Path(tmp) / f"m{n}-{seed}.ckpt", args.threads)
                rows.append(r)
                print(json.dumps({k: v for k, v in r.items() if k != "data"}), flush=True)
    print(
        f"\n{label}; default model ({rows[0]['model']}), --epochs {args.epochs}, CPU "
        f"({os.cpu_count()} cores); "
        "validation metrics of the best epoch\n\n"
        "| processes × threads | seed | wall s (incl. start-up) | training s | best epoch | "
        "val NDCG | val R-prec | load |\n|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    for r in rows:
        m = r["metrics"]
        print(
            f"| {r['nproc']} × {r['threads']} | {r['seed']} | {r['wall_s']:.0f} | {r['seconds']:.0f} | "
            f"{r['best_epoch']} | {m.get('ndcg', float('nan')):.4f} | "
            f"{m.get('r_precision', float('nan')):.4f} | {r['load']:.1f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
