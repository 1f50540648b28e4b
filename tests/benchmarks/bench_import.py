"""Import speed and memory: entries/s and peak RSS of `import_mpd`, end to end.

Each run imports into a fresh library in a fresh subprocess (parse + validate + write,
timed inside the child around ``import_mpd``), so each row is that run alone and
flatness across slice counts shows. ``import_mpd`` parses files after the first in a
helper process: CPU seconds and peak RSS are reported for the importing process and for
the helper (``getrusage`` SELF / CHILDREN inside the child, after the helper has exited).
The load average (1 min) is recorded per row: the machine is shared. Rows: the real
1,000-playlist MPD sample (when ../shared is present) and generated full-size slices
(1,000 playlists, ~67k entries each; 1, 4, 8 and 16 of them).

    .venv/bin/python tests/benchmarks/bench_import.py [--slices 1 4 8] [--repeat 3]
        [--code OTHER_CHECKOUT] [--out FILE]

Prints a Markdown table and writes it to bench-results/import.md (or --out). ``--code``
imports with another checkout's ``assistant`` package (e.g. ``git worktree`` of an older
commit) on the same generated files: an A/B comparison under the same machine load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT.parent / "shared" / "data" / "mpd-sample" / "mpd.slice.sample-1000.json"
OUT = ROOT / "bench-results" / "import.md"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
CATALOG = 2_000_000  # distinct tracks of the imaginary full dataset (the MPD has 2.26M)

CHILD = """
import json, resource, sys, tempfile, time
from pathlib import Path
from assistant.jobs.imports import import_mpd
from assistant.store import Library
paths = sys.argv[1:]
with tempfile.TemporaryDirectory() as tmp:
    lib = Library(Path(tmp) / "bench.sqlite")
    def cpu(who=resource.RUSAGE_SELF):
        r = resource.getrusage(who)
        return r.ru_utime + r.ru_stime
    cpu0, helper0, start = cpu(), cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
    summary = import_mpd(lib, paths)
    seconds, cpu_seconds = time.perf_counter() - start, cpu() - cpu0
    helper_cpu = cpu(resource.RUSAGE_CHILDREN) - helper0
    stats = lib.stats()
    lib.close()
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "helper_cpu": helper_cpu,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "helper_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "entries": summary.entries, "playlists": summary.playlists,
                  "tracks": stats["tracks"], "errors": [str(e) for e in summary.errors]}))
"""


def _b62(n: int) -> str:
    out = []
    for _ in range(22):
        n, r = divmod(n, 62)
        out.append(BASE62[r])
    return "".join(reversed(out))


def make_slice(path: Path, first_pid: int, rng: random.Random) -> int:
    """Writes one synthetic full-size slice (1,000 playlists, ~67k entries); returns entries.

    Track popularity is heavy-tailed (index = N * u**8), so slices share popular tracks
    as the real ones do; names and URIs are derived from the track index.
    """
    playlists = []
    entries = 0
    for pid in range(first_pid, first_pid + 1000):
        n = max(5, min(250, int(rng.lognormvariate(3.95, 0.75))))
        tracks = []
        for pos in range(n):
            idx = int(CATALOG * rng.random() ** 8)
            tracks.append(
                {
                    "pos": pos,
                    "artist_name": f"Generated Artist {idx // 12}",
                    "track_uri": f"spotify:track:{_b62(idx)}",
                    "artist_uri": f"spotify:artist:{_b62(idx // 12)}",
                    "track_name": f"Generated Track Title {idx}",
                    "album_uri": f"spotify:album:{_b62(idx // 6)}",
                    "duration_ms": 150_000 + idx % 120_000,
                    "album_name": f"Generated Album {idx // 6}",
                }
            )
        entries += n
        playlists.append(
            {
                "name": f"bench {pid}",
                "collaborative": "false",
                "pid": pid,
                "modified_at": 1_500_000_000,
                "num_tracks": n,
                "num_albums": n,
                "num_followers": 1,
                "tracks": tracks,
                "num_edits": 1,
                "duration_ms": 0,
                "num_artists": n,
            }
        )
    doc = {
        "info": {"slice": f"{first_pid}-{first_pid + 999}", "version": "bench"},
        "playlists": playlists,
    }
    path.write_bytes(orjson.dumps(doc))
    return entries


def run_child(paths: list[Path], code: Path = ROOT) -> dict:
    load = os.getloadavg()[0]
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, *map(str, paths)],
        cwd=code,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(code)},
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed ({proc.returncode})")
    result = json.loads(proc.stdout)
    if result["errors"]:
        raise SystemExit(f"import errors: {result['errors']}")
    result["load"] = load
    return result


def best_of(paths: list[Path], repeat: int, code: Path = ROOT) -> dict:
    runs = [run_child(paths, code) for _ in range(repeat)]
    best = min(runs, key=lambda r: r["seconds"])
    best["rss_mib"] = max(r["rss_mib"] for r in runs)
    best["helper_rss_mib"] = max(r["helper_rss_mib"] for r in runs)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slices", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--repeat", type=int, default=3, help="runs per row; the fastest is shown")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose code is measured")
    parser.add_argument("--out", type=Path, default=OUT, help="where the table is written")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        tmpdir = Path(tmp)
        if SAMPLE.exists():
            r = best_of([SAMPLE], args.repeat, args.code)
            rows.append(("real MPD sample (1 file)", SAMPLE.stat().st_size, r))
        rng = random.Random(0)
        generated: list[Path] = []
        for i in range(max(args.slices)):
            path = tmpdir / f"mpd.slice.{i * 1000}-{i * 1000 + 999}.json"
            make_slice(path, i * 1000, rng)
            generated.append(path)
        for n in args.slices:
            paths = generated[:n]
            r = best_of(paths, args.repeat, args.code)
            size = sum(p.stat().st_size for p in paths)
            rows.append((f"generated, {n} slice{'s' if n > 1 else ''}", size, r))

    lines = [
        f"Import benchmark — code: {args.code.resolve()} — {time.strftime('%Y-%m-%d %H:%M')}, "
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"best of {args.repeat} runs (peak RSS: worst run). Load average before/after: "
        f"{load_before:.1f}/{os.getloadavg()[0]:.1f} (the machine is shared; 'load' is the "
        "1-minute load average when the fastest run of the row started).",
        "",
        "| input | MB | playlists | entries | distinct tracks | seconds | entries/s "
        "| CPU s (importer + helper) | peak RSS MiB (importer + helper) | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, size, r in rows:
        lines.append(
            f"| {label} | {size / 1e6:.1f} | {r['playlists']:,} | {r['entries']:,} | "
            f"{r['tracks']:,} | {r['seconds']:.2f} | {r['entries'] / r['seconds']:,.0f} | "
            f"{r['cpu_seconds']:.2f} + {r['helper_cpu']:.2f} | "
            f"{r['rss_mib']:.0f} + {r['helper_rss_mib']:.0f} | {r['load']:.1f} |"
        )
    lines += ["", "Command: `.venv/bin/python tests/benchmarks/bench_import.py`"]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
