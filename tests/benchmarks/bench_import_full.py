"""Import at full size: N generated MPD slices into ONE library, in chunks, disk bounded.

Chunk by chunk (``--chunk`` slices, default 100): ``gen_mpd.py`` writes the chunk's
slices to ``--data`` (a separate process, so its memory is not counted), a fresh child
process imports them into the library with ``import_mpd`` (as ``playlist-assistant
import-mpd DIR`` would, one folder after the other), then the chunk's files are deleted.
Per chunk: entries/s, the importer's and its parse helper's peak RSS, the library size.
With ``--queries`` the listing, search and stats queries are timed on the final library.

    nice .venv/bin/python tests/benchmarks/bench_import_full.py --slices 100 \
        --library /work/scale-data/lib.sqlite --data /work/scale-data/json [--queries]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

CHILD = """
import json, resource, sys, time
from pathlib import Path
from assistant.jobs.imports import import_mpd
from assistant.store import Library
lib = Library(Path(sys.argv[1]))
start = time.perf_counter()
summary = import_mpd(lib, [sys.argv[2]])
seconds = time.perf_counter() - start
lib.close()
print(json.dumps({"seconds": seconds, "entries": summary.entries,
                  "playlists": summary.playlists, "errors": [str(e) for e in summary.errors],
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "helper_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""

QUERIES = """
import json, statistics, sys, time
from pathlib import Path
from assistant.store import Library
lib = Library(Path(sys.argv[1]))
def timed(fn, repeat=5):
    times = []
    for _ in range(repeat):
        t = time.perf_counter(); out = fn(); times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, out
rows = {}
ms, stats = timed(lib.stats, 3); rows["stats()"] = ms
ms, _ = timed(lib.source_counts); rows["source_counts() (sidebar sources)"] = ms
ms, n = timed(lambda: lib.count_playlists("mpd")); rows["count_playlists('mpd')"] = ms
ms, _ = timed(lambda: lib.playlists(source="mpd", limit=200)); rows["playlists(mpd, first 200) (sidebar page)"] = ms
ms, _ = timed(lambda: lib.playlists(), 1); rows["playlists() (all, the sidebar today)"] = ms
ms, hits = timed(lambda: lib.playlists(search="chill", limit=200)); rows["playlists(search='chill', first 200)"] = ms
ms, _ = timed(lambda: lib.playlists(search="zzz no such name", limit=200)); rows["playlists(search=no match)"] = ms
ms, _ = timed(lambda: lib.playlist(n // 2)); rows["playlist(id) with its tracks"] = ms
ms, _ = timed(lambda: lib.find_playlist(f"mpd:{n // 2}")); rows["find_playlist('mpd:PID')"] = ms
ms, _ = timed(lambda: lib.library_fingerprint(), 3); rows["library_fingerprint()"] = ms
# The plans before the _v_scale indexes, forced, against the new ones (interleaved).
c = lib.conn
pairs = {
    "count(DISTINCT album_uri) (in stats())": (
        "SELECT count(DISTINCT album_uri) FROM tracks NOT INDEXED",
        "SELECT count(DISTINCT album_uri) FROM tracks INDEXED BY tracks_album"),
    "sidebar page: source='mpd' ORDER BY name LIMIT 200": (
        "SELECT id, name FROM playlists INDEXED BY sqlite_autoindex_playlists_1 "
        "WHERE source = 'mpd' ORDER BY name COLLATE NOCASE, id LIMIT 200",
        "SELECT id, name FROM playlists INDEXED BY playlists_source_name "
        "WHERE source = 'mpd' ORDER BY name COLLATE NOCASE, id LIMIT 200"),
}
ab = {}
for name, (old, new) in pairs.items():
    t_old, t_new = [], []
    for _ in range(2):  # the old album count takes tens of seconds on a big library
        for q, acc in ((old, t_old), (new, t_new)):
            t = time.perf_counter(); c.execute(q).fetchall(); acc.append(time.perf_counter() - t)
    ab[name] = [statistics.median(t_old) * 1000, statistics.median(t_new) * 1000]
print(json.dumps({"stats": stats, "ms": rows, "ab": ab}))
"""


def _run(args: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=True, cwd=ROOT, **kw)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slices", type=int, default=100)
    parser.add_argument("--chunk", type=int, default=100)
    parser.add_argument("--library", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True, help="scratch folder for JSON")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--queries", action="store_true", help="time queries at the end")
    parser.add_argument("--queries-only", action="store_true")
    parser.add_argument("--log", type=Path, help="append one JSON line per chunk here")
    args = parser.parse_args()

    rows = []
    if not args.queries_only:
        args.library.parent.mkdir(parents=True, exist_ok=True)
        total_start = time.perf_counter()
        for start in range(0, args.slices, args.chunk):
            count = min(args.chunk, args.slices - start)
            folder = args.data / f"chunk-{start}"
            gen_start = time.perf_counter()
            _run(
                [
                    sys.executable,
                    str(HERE / "gen_mpd.py"),
                    "--slices",
                    str(count),
                    "--start",
                    str(start),
                    "--seed",
                    str(args.seed),
                    "--out",
                    str(folder),
                ]
            )
            gen_seconds = time.perf_counter() - gen_start
            json_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
            load = os.getloadavg()[0]
            proc = _run(
                [sys.executable, "-c", CHILD, str(args.library), str(folder)],
                stdout=subprocess.PIPE,
            )
            shutil.rmtree(folder)
            r = json.loads(proc.stdout)
            if r["errors"]:
                raise SystemExit(f"import errors: {r['errors'][:3]}")
            r.update(
                first=start,
                count=count,
                gen_seconds=gen_seconds,
                json_mb=json_mb,
                load=load,
                library_mb=args.library.stat().st_size / 1e6,
                elapsed=time.perf_counter() - total_start,
            )
            rows.append(r)
            line = (
                f"slices {start}-{start + count - 1}: {r['entries']:,} entries in "
                f"{r['seconds']:.0f} s = {r['entries'] / r['seconds']:,.0f}/s; RSS "
                f"{r['rss_mib']:.0f} + {r['helper_rss_mib']:.0f} MiB; library "
                f"{r['library_mb']:,.0f} MB; load {load:.1f}; gen {gen_seconds:.0f} s"
            )
            print(line, flush=True)
            if args.log:
                with args.log.open("a") as f:
                    f.write(json.dumps(r) + "\n")
        total_entries = sum(r["entries"] for r in rows)
        import_seconds = sum(r["seconds"] for r in rows)
        print(
            f"\n| slices | playlists | entries | import s | entries/s | peak RSS MiB "
            f"(importer + helper) | library MB |\n|---:|---:|---:|---:|---:|---:|---:|\n"
            f"| {args.slices} | {sum(r['playlists'] for r in rows):,} | {total_entries:,} | "
            f"{import_seconds:,.0f} | {total_entries / import_seconds:,.0f} | "
            f"{max(r['rss_mib'] for r in rows):.0f} + "
            f"{max(r['helper_rss_mib'] for r in rows):.0f} | {rows[-1]['library_mb']:,.0f} |"
        )
    if args.queries or args.queries_only:
        proc = _run([sys.executable, "-c", QUERIES, str(args.library)], stdout=subprocess.PIPE)
        q = json.loads(proc.stdout)
        print(f"\nlibrary stats: {q['stats']}\n\n| query | median ms |\n|---|---:|")
        for name, ms in q["ms"].items():
            print(f"| {name} | {ms:.1f} |")
        print("\n| query | old plan ms | new plan ms |\n|---|---:|---:|")
        for name, (old, new) in q["ab"].items():
            print(f"| {name} | {old:,.1f} | {new:,.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
