"""Are the explanations faithful? Seed-removal tests and attention entropy on the MPD sample.

Usage::

    .venv/bin/python tests/benchmarks/bench_explain.py                      # trains the default model
    .venv/bin/python tests/benchmarks/bench_explain.py --checkpoint CKPT    # explains a checkpoint
    .venv/bin/python tests/benchmarks/bench_explain.py --epochs 5           # a quicker model

Queries: the challenge split of ``bench_quality.py`` (same sample, same seed), its test
playlists with at least ``--min-seeds`` (10) seeds the model knows; the proposals: the top
``--proposals`` (5) of each, as ``recommend(explain=True)`` returns them. Without
``--checkpoint`` the default model (``TrainConfig()``) is trained on the split's training
playlists with early stopping on its validation playlists; a checkpoint may have been
trained on the test playlists too, which does not matter here (nothing is scored against
held-out tracks).

For each (playlist, proposal) pair:

* **top-3 removal**: the 3 seeds that pulled the proposal in most are removed from the
  query (and kept out of the ranking), the query is re-ranked and the proposal's new rank
  noted (``--depth`` + 1 when it falls out of the top ``--depth``). A seed's pull is its
  ``seed`` reason plus its equal share of the shared-artist/album reasons it takes part in
  (``assistant.jobs.explaining.seed_effects``: "the same artist as 3 of your tracks" is
  those 3 tracks' doing);
* **random removal**: the same with 3 seeds drawn at random, ``--draws`` times (mean drop);
* the pair counts as faithful when the top-3 removal drops the rank more than the random
  one (target: ≥ 90% of pairs).

Attention: per proposal the normalised entropy of its seed attention, H(α)/log(S) (1.0 =
uniform over the S seeds); per playlist, whether it differs across its proposals (max
L1 distance between two proposals' attention vectors > 1e-6). A readout whose attention is
per playlist, not per candidate, gives the same vector to every proposal.
Writes ``bench-results/explain.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench-results" / "explain.md"
REMOVE = 3
TARGET = 0.90


def build_service(args: argparse.Namespace, split: Any) -> tuple[Any, str]:
    """The model to explain: a checkpoint, or the default model trained on the split."""
    from assistant.ml.recommend import RecommenderService

    if args.checkpoint:
        return RecommenderService.load(args.checkpoint), f"checkpoint `{args.checkpoint}`"
    from assistant.ml.evaluate import make_validator
    from assistant.ml.train import TrainConfig, train

    config = TrainConfig(
        device="cpu", seed=args.train_seed, **({"epochs": args.epochs} if args.epochs else {})
    )
    t0 = time.perf_counter()
    result = train(split.train, config, validator=make_validator(split.val))
    how = (
        f"{config.model} trained here on the split's training playlists "
        f"({len(result.history)} epochs, best {result.best_epoch}, "
        f"{time.perf_counter() - t0:.0f} s)"
    )
    return RecommenderService.from_scorer(result.model), how


def rank_of(service: Any, seeds: list[str], removed: list[str], track: str, depth: int) -> int:
    """The track's rank (from 1) for the seeds left, ``depth + 1`` if not in the top depth."""
    result = service.recommend(seeds, depth, exclude=removed, explain=False)
    for rec in result.recommendations:
        if rec.track_uri == track:
            return rec.rank
    return depth + 1


def normalised_entropy(attention: np.ndarray) -> float:
    """H(α) / log(S); 1.0 when uniform. NaN for fewer than two seeds."""
    if len(attention) < 2:
        return float("nan")
    a = attention[attention > 0]
    a = a / a.sum()
    return float(-(a * np.log(a)).sum() / np.log(len(attention)))


def query_seeds(split: Any, service: Any, min_seeds: int) -> list[tuple[int, list[str]]]:
    """(playlist id, known seed URIs) of the test cases with enough known seeds."""
    uris = split.train.track_uris
    out = []
    for case in split.test:
        seeds = [uris[j] for j in case.seeds]
        _, known, _ = service.encode(seeds)
        if len(known) >= min_seeds:
            out.append((int(case.playlist_id), known))
    return out


def sample_tracks() -> dict[str, Any]:
    """The sample's track metadata as the library would give it (``Track`` by URI)."""
    from assistant.domain import Track
    from assistant.sources.mpd import read_slice
    from tests.benchmarks.bench_quality import SAMPLE

    # rows of (uri, name, artist_uri, artist_name, album_uri, album_name, ...)
    return {t[0]: Track(*t[:6]) for t in read_slice(SAMPLE).tracks}


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from assistant.jobs.explaining import seed_effects, seed_refs
    from tests.benchmarks.bench_quality import load_split

    split = load_split("challenge")
    tracks = sample_tracks()
    service, how = build_service(args, split)
    rng = np.random.default_rng(args.seed)
    pairs: list[dict[str, Any]] = []
    playlists: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    for pid, seeds in query_seeds(split, service, args.min_seeds):
        proposals = service.recommend(seeds, args.proposals, explain=True).recommendations
        refs = seed_refs(tracks, seeds)
        vectors = []
        for rec in proposals:
            by_seed = {r.neighbor_uri: r for r in rec.reasons if r.kind == "seed"}
            attention = np.array([by_seed[u].attention if u in by_seed else 0.0 for u in seeds])
            vectors.append(attention)
            effects = seed_effects(rec.reasons, refs)
            top = sorted(effects, key=lambda u: -effects[u])[:REMOVE]
            # The narrower reading: the seeds with the largest "seed" terms alone.
            by_term = [
                r.neighbor_uri for r in sorted(by_seed.values(), key=lambda r: -r.contribution)
            ]
            by_term = by_term[:REMOVE]
            after_term = (
                rank_of(
                    service,
                    [u for u in seeds if u not in by_term],
                    by_term,
                    rec.track_uri,
                    args.depth,
                )
                if set(by_term) != set(top)
                else None
            )
            kept = [u for u in seeds if u not in top]
            after_top = rank_of(service, kept, top, rec.track_uri, args.depth)
            drops = []
            for _ in range(args.draws):
                gone = list(rng.choice(seeds, REMOVE, replace=False))
                rest = [u for u in seeds if u not in gone]
                drops.append(rank_of(service, rest, gone, rec.track_uri, args.depth) - rec.rank)
            pairs.append(
                {
                    "playlist": pid,
                    "seeds": len(seeds),
                    "rank": rec.rank,
                    "drop_top": after_top - rec.rank,
                    "drop_term": (after_term if after_term is not None else after_top) - rec.rank,
                    "drop_random": float(np.mean(drops)),
                    "entropy": normalised_entropy(attention),
                }
            )
        spread = max(
            (float(np.abs(a - b).sum()) for i, a in enumerate(vectors) for b in vectors[i + 1 :]),
            default=0.0,
        )
        entropies = [p["entropy"] for p in pairs[-len(proposals) :]] if proposals else []
        playlists.append(
            {
                "playlist": pid,
                "attention_l1_spread": spread,
                "entropy_range": float(np.ptp(entropies)) if entropies else 0.0,
            }
        )
    return {
        "model": how,
        "model_name": service.model_name,
        "pairs": pairs,
        "playlists": playlists,
        "seconds": time.perf_counter() - t0,
    }


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    pairs, lists = result["pairs"], result["playlists"]
    top = np.array([p["drop_top"] for p in pairs], dtype=float)
    rand = np.array([p["drop_random"] for p in pairs], dtype=float)
    ent = np.array([p["entropy"] for p in pairs], dtype=float)
    ent = ent[~np.isnan(ent)]
    spread = np.array([p["attention_l1_spread"] for p in lists], dtype=float)
    return {
        "pairs": len(pairs),
        "playlists": len(lists),
        "faithful": float(np.mean(top > rand)) if len(pairs) else float("nan"),
        "faithful_term": float(
            np.mean(np.array([p["drop_term"] for p in pairs], dtype=float) > rand)
        )
        if len(pairs)
        else float("nan"),
        "ties": float(np.mean(top == rand)) if len(pairs) else float("nan"),
        "median_drop_top": float(np.median(top)) if len(pairs) else float("nan"),
        "median_drop_random": float(np.median(rand)) if len(pairs) else float("nan"),
        "entropy_median": float(np.median(ent)) if len(ent) else float("nan"),
        "entropy_p10": float(np.percentile(ent, 10)) if len(ent) else float("nan"),
        "entropy_p90": float(np.percentile(ent, 90)) if len(ent) else float("nan"),
        "varies": float(np.mean(spread > 1e-6)) if len(spread) else float("nan"),
        "spread_median": float(np.median(spread)) if len(spread) else float("nan"),
        "entropy_range_median": float(
            np.median([p["entropy_range"] for p in lists]) if lists else float("nan")
        ),
    }


def render(result: dict[str, Any], s: dict[str, Any], args: argparse.Namespace) -> str:
    met = "met" if s["faithful"] >= TARGET else "**not met**"
    varies = "yes" if s["varies"] > 0.5 else "**no**"
    command = (
        "tests/benchmarks/bench_explain.py"
        + (f" --checkpoint {args.checkpoint}" if args.checkpoint else "")
        + (f" --epochs {args.epochs}" if args.epochs else "")
        + (f" --train-seed {args.train_seed}" if args.train_seed else "")
    )
    return "\n".join(
        [
            "# Explanation faithfulness on the MPD sample",
            "",
            f"Model: {result['model']}. Command: `.venv/bin/python {command}` "
            f"({result['seconds']:.0f} s of queries, {os.cpu_count()} cores, load average "
            f"{os.getloadavg()[0]:.1f}). {s['pairs']} (playlist, proposal) pairs: the top "
            f"{args.proposals} proposals of {s['playlists']} test playlists with ≥ "
            f"{args.min_seeds} known seeds; ranks beyond {args.depth} count as {args.depth + 1}; "
            f"random removal averaged over {args.draws} draws.",
            "",
            "| model | pairs | top-3 removal drops the rank more | the same, top-3 by seed "
            "term alone | median rank drop, top-3 | "
            "median rank drop, random 3 | attention entropy median (p10–p90) | "
            "attention differs across a playlist's proposals |",
            "|---|---|---|---|---|---|---|---|",
            f"| {result['model_name']} | {s['pairs']} | {s['faithful']:.1%} ({met}; ties "
            f"{s['ties']:.1%}) | {s['faithful_term']:.1%} | {s['median_drop_top']:.0f} | {s['median_drop_random']:.1f} | "
            f"{s['entropy_median']:.3f} ({s['entropy_p10']:.3f}–{s['entropy_p90']:.3f}) | "
            f"{varies}: {s['varies']:.0%} of playlists (median L1 spread "
            f"{s['spread_median']:.3g}, entropy range {s['entropy_range_median']:.3g}) |",
            "",
            f"Target: ≥ {TARGET:.0%} of pairs, and attention that varies across the candidates "
            "of one playlist. Top-3: the seeds with the largest pull (own term plus their "
            "share of the shared-artist/album terms, `seed_effects`); the narrower column "
            "ranks them by their own term alone.",
            "",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", type=Path, help="explain this checkpoint instead")
    parser.add_argument("--epochs", type=int, default=None, help="max epochs when training")
    parser.add_argument("--proposals", type=int, default=5, help="proposals per playlist")
    parser.add_argument("--min-seeds", type=int, default=10, help="known seeds per playlist")
    parser.add_argument("--depth", type=int, default=1000, help="ranks looked at after removal")
    parser.add_argument("--draws", type=int, default=5, help="random removals per pair")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-seed", type=int, default=0, help="seed of the trained model")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    from tests.benchmarks.bench_quality import SAMPLE

    if not SAMPLE.exists():
        print(f"The MPD sample is not at {SAMPLE}; this benchmark needs it.", file=sys.stderr)
        return 2
    result = measure(args)
    summary = summarise(result)
    text = render(result, summary, args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    args.out.with_suffix(".json").write_text(
        json.dumps({**result, "summary": summary}, indent=1), encoding="utf-8"
    )
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
