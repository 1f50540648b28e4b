"""Training at scale: s/step, s/epoch, peak memory of the default model on generated MPD.

Each row runs in a fresh process: the first N generated slices (``gen_mpd.py``, built
straight into the training graph, no JSON or library, with what the app's training data
carries: playlist names and each track's artist and album) are trained with the default
:class:`~assistant.ml.spec.TrainConfig` (``device`` set; ``--model``/``--loss`` default
to TrainConfig's: hgat, sampled softmax) for ``--steps`` steps, or one whole epoch with
``--steps 0``. Bounded runs stop through the training's own cancel
token after the given number of steps, so the same code path as a full run is timed:
s/step is the median step after the first (wall and process CPU seconds: the machine
may be shared), the epoch's graph set-up is reported apart,
and the epoch is projected as set-up + steps/epoch × s/step. No validation is run (the
app validates ≤ 500 held-out playlists once per epoch, a few % of an epoch at this size).

    nice .venv/bin/python tests/benchmarks/bench_train_scale.py --slices 1 10 50 --steps 10
    nice .venv/bin/python tests/benchmarks/bench_train_scale.py --model gat-mlp --loss softmax
    .venv/bin/python tests/benchmarks/bench_train_scale.py --slices 1000 --steps 30 --device cuda

``--epochs-full E`` (default 20: early stopping typically ends a run within 10–30 epochs
on the MPD sample) turns the epoch time into a projected full training.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

CHILD = """
import json, math, os, resource, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
import torch
import gen_mpd
from assistant.errors import Cancelled
from assistant.ml.graph import Interactions
from assistant.ml.spec import TrainConfig
from assistant.ml.train import train
from assistant.progress import CancelToken

slices, steps, device, model, loss = int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:7]
t0 = time.perf_counter()
g = gen_mpd.training_arrays(slices, workers=min(16, os.cpu_count() or 1))
indptr = g.indptr
# What the app's training data holds (jobs/training_data.py): every playlist's name and
# each track's artist and album index (-1 never occurs: generated tracks have both).
artists, artist_of = np.unique(g.artist, return_inverse=True)
albums, album_of = np.unique(g.album, return_inverse=True)
data = Interactions(
    indptr, g.indices, [f"spotify:track:gen{t}" for t in g.used.tolist()],
    np.arange(len(indptr) - 1, dtype=np.int64), names=g.names,
    artist_of=artist_of.astype(np.int64), album_of=album_of.astype(np.int64),
    artist_uris=[f"spotify:artist:gen{a}" for a in artists.tolist()],
    album_uris=[f"spotify:album:gen{a}" for a in albums.tolist()],
)
del g
build_s = time.perf_counter() - t0
print(f"graph built in {build_s:.1f} s: {data.n_playlists:,} playlists, {data.n_edges:,} "
      f"entries, {data.n_tracks:,} tracks", file=sys.stderr, flush=True)


class StepClock(CancelToken):
    # The training polls its cancel token once per step: the clock of every step.
    def __init__(self, limit):
        super().__init__()
        self.limit, self.times, self.cpu = limit, [], []

    def raise_if_cancelled(self):
        self.times.append(time.perf_counter())
        self.cpu.append(time.process_time())
        # Progress on stderr: a run stopped by a time limit still shows what it measured.
        n = len(self.times)
        gpu = (f", peak GPU {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB"
               if torch.cuda.is_available() else "")
        if n == 1:
            print(f"set-up {self.times[0] - start:.1f} s", file=sys.stderr, flush=True)
        else:
            print(f"step {n - 1}: {self.times[-1] - self.times[-2]:.3f} s{gpu}",
                  file=sys.stderr, flush=True)
        if self.limit and n > self.limit:
            raise Cancelled()


config = TrainConfig(device=device, epochs=1, model=model, loss=loss)
clock = StepClock(steps)
start = time.perf_counter()
try:
    result = train(data, config, cancel=clock)
    epoch_s = result.history[0]["seconds"]
except Cancelled:
    epoch_s = None
total_s = time.perf_counter() - start
t = clock.times
step_s = statistics.median(np.diff(t)[1:]) if len(t) > 2 else float("nan")
step_cpu_s = statistics.median(np.diff(clock.cpu)[1:]) if len(t) > 2 else float("nan")
train_rows = int((np.diff(indptr) >= 2).sum())
steps_per_epoch = math.ceil(train_rows / config.batch_size)
gpu = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None
print(json.dumps({
    "slices": slices, "playlists": data.n_playlists, "entries": data.n_edges,
    "tracks": data.n_tracks, "artists": len(data.artist_uris), "albums": len(data.album_uris), "build_s": build_s, "setup_s": t[0] - start if t else None,
    "step_s": step_s, "step_cpu_s": step_cpu_s, "steps_timed": max(0, len(t) - 2), "steps_per_epoch": steps_per_epoch,
    "epoch_s": epoch_s, "total_s": total_s, "model": config.model, "loss": config.loss,
    "batch_size": config.batch_size, "dim": config.dim,
    "device": str(device), "threads": torch.get_num_threads(),
    "rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, "gpu_gib": gpu,
}))
"""


def run_row(slices: int, steps: int, device: str, model: str, loss: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(HERE), str(slices), str(steps), device, model, loss],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed ({proc.returncode}) at {slices} slices")
    return json.loads(proc.stdout)


def main() -> int:
    from assistant.ml.spec import TrainConfig

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slices", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--steps", type=int, default=10, help="0: one whole epoch")
    parser.add_argument("--device", default="cpu")
    defaults = TrainConfig()
    parser.add_argument(
        "--model", default=defaults.model, help=f"default: TrainConfig's ({defaults.model})"
    )
    parser.add_argument(
        "--loss",
        default=defaults.loss,
        help=f"default: TrainConfig's ({defaults.loss}); the previous default was gat-mlp softmax",
    )
    parser.add_argument("--epochs-full", type=int, default=20)
    parser.add_argument("--json", type=Path, help="append each row as a JSON line here")
    args = parser.parse_args()
    rows = []
    for n in args.slices:
        load = os.getloadavg()[0]
        r = run_row(n, args.steps, args.device, args.model, args.loss)
        r["load"] = load
        setup = r["setup_s"] or 0.0
        r["epoch_projected_s"] = (
            r["epoch_s"] if r["epoch_s"] is not None else setup + r["steps_per_epoch"] * r["step_s"]
        )
        rows.append(r)
        print(json.dumps(r), flush=True)
        if args.json:
            with args.json.open("a") as f:
                f.write(json.dumps(r) + "\n")
    first = rows[0]
    print(
        f"\nModel: {first['model']}, loss {first['loss']}, dim {first['dim']}, batch "
        f"{first['batch_size']} (the rest TrainConfig's defaults); device {first['device']}, "
        f"{first['threads']} threads; {time.strftime('%Y-%m-%d %H:%M')}\n\n"
        "| slices | playlists | entries | tracks | graph build s | epoch set-up s | s/step "
        "(steps timed) | CPU s/step | steps/epoch | s/epoch | peak RSS GiB | peak GPU GiB | "
        f"{args.epochs_full} epochs | load |\n|" + "---:|" * 14
    )
    for r in rows:
        measured = "" if r["epoch_s"] is None else " (measured)"
        gpu = f"{r['gpu_gib']:.1f}" if r["gpu_gib"] is not None else "—"
        full_h = args.epochs_full * r["epoch_projected_s"] / 3600
        print(
            f"| {r['slices']} | {r['playlists']:,} | {r['entries']:,} | {r['tracks']:,} | "
            f"{r['build_s']:.1f} | {r['setup_s']:.1f} | {r['step_s']:.2f} ({r['steps_timed']}) | "
            f"{r['step_cpu_s']:.2f} | "
            f"{r['steps_per_epoch']:,} | {r['epoch_projected_s']:,.0f}{measured} | "
            f"{r['rss_gib']:.2f} | {gpu} | {full_h:,.1f} h | {r['load']:.1f} |"
        )
    return 0 if all(not math.isnan(r["step_s"]) for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
