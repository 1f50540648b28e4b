"""Seeds outside the checkpoint's vocabulary, read through their artist/album: what they
are worth on the real MPD sample.

Usage::

    .venv/bin/python tests/benchmarks/bench_content_seeds.py [--epochs N]

The challenge split of bench_quality (100 validation / 200 test playlists held out
whole), but the hgat model is trained on a vocabulary of the *training* tracks only, so
that a test seed no training playlist holds is a new track to it, as a person's own
Spotify/CSV tracks are. Every test case is then ranked through ``RecommenderService``
(by URI, with the playlist's name, as the app does) twice: without the seeds' artists
and albums (such seeds left out, as before) and with them (read as
``artist_h[a] + album_h[l]``). Same model, same cases; test playlists choose nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.bench_quality import load_split  # noqa: E402


def main() -> int:
    from assistant.ml.evaluate import metrics_from_rankings, summarize
    from assistant.ml.graph import Interactions
    from assistant.ml.metrics import N_PREDICTIONS
    from assistant.ml.recommend import RecommenderService
    from assistant.ml.train import TrainConfig, train

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()

    split = load_split("challenge")
    full = split.train  # the whole sample's vocabulary; test-only tracks have no edge
    uri = full.track_uris
    content = {
        u: (
            full.artist_uris[a] if a >= 0 else "",
            full.album_uris[b] if b >= 0 else "",
        )
        for u, a, b in zip(uri, full.artist_of, full.album_of, strict=True)
    }
    lists = [
        [uri[j] for j in full.indices[full.indptr[i] : full.indptr[i + 1]]]
        for i in range(full.n_playlists)
    ]
    rows = [i for i, tracks in enumerate(lists) if tracks]
    data = Interactions.from_lists(
        [lists[i] for i in rows],
        full.playlist_ids[rows],
        names=[full.names[i] for i in rows],
    ).with_content({u: c[0] for u, c in content.items()}, {u: c[1] for u, c in content.items()})
    start = time.perf_counter()
    result = train(data, TrainConfig(model="hgat", epochs=args.epochs, device="cpu"))
    fit_s = time.perf_counter() - start
    service = RecommenderService.from_scorer(result.model)
    cases = [c for c in split.test if len(c.targets)]
    counts = {"track": 0, "artist_or_album": 0, "none": 0}
    rankings: dict[str, list[np.ndarray]] = {"without": [], "with": []}
    index = full.track_index
    for case in cases:
        seeds = [uri[j] for j in case.seeds]
        for arm, given in (("without", None), ("with", content)):
            out = service.recommend(
                seeds, k=N_PREDICTIONS, explain=False, name=case.name, content=given
            )
            ranked = np.array([index.get(r.track_uri, -1) for r in out.recommendations])
            rankings[arm].append(ranked)
        for c in out.seed_classes.values():
            counts[c] += 1
    print(
        f"hgat, {data.n_playlists} training playlists, vocabulary {data.n_tracks:,} of "
        f"{full.n_tracks:,} tracks, {len(result.history)} epochs, fit {fit_s:.0f} s"
    )
    print(f"test seeds (distinct per case): {counts}")
    print("| seeds' artist/album | test R-prec | test NDCG | test clicks | test R@50 |")
    print("|---|---|---|---|---|")
    for arm in ("without", "with"):
        m = summarize(metrics_from_rankings(cases, rankings[arm]))
        print(
            f"| {arm} | {m['r_precision']:.4f} | {m['ndcg']:.4f} | {m['clicks']:.2f} | "
            f"{m['recall@50']:.4f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
