"""Evaluation sub-commands: ``evaluate`` (a checkpoint or a baseline on the library) and
``challenge`` (an official RecSys 2018 submission CSV from a ``challenge_set.json``).

A checkpoint is queried through :class:`assistant.ml.recommend.RecommenderService` by
track URI, exactly as the app uses it, so the numbers describe what a person gets. A
baseline is fitted here on the split's training playlists (EASE's λ and iALS's factors,
regularisation and α picked on validation).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.cli.common import add_library_option, open_library, print_json
from assistant.config import BUNDLED_CHECKPOINT, load_settings
from assistant.errors import InputError
from assistant.ml.baselines import BASELINES, fit_baseline, tune_ease, tune_ials
from assistant.ml.evaluate import (
    evaluate_by_category,
    make_validator,
    metrics_from_rankings,
    predict,
    summarize,
)
from assistant.ml.graph import Interactions
from assistant.ml.metrics import N_PREDICTIONS
from assistant.ml.split import Case, Split, challenge_split, link_split

# A ranker turns seed URIs into (ranked track URIs, never a seed; seeds it did not know).
Ranker = Callable[[Sequence[str], int], tuple[list[str], int]]

# Checkpoint metadata keys under which the trainer may record the playlists it held out.
HELDOUT_KEYS = ("heldout_playlist_ids", "test_playlist_ids", "val_playlist_ids")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds ``evaluate`` and ``challenge`` to the top-level parser."""
    p = subparsers.add_parser(
        "evaluate",
        help="measure a checkpoint or a baseline on held-out playlists of the library",
        description="Split the library (link: 70/15/15 of each playlist's tracks; challenge: "
        "whole held-out playlists with RecSys 2018 seed categories) and report Recall@20/50/300, "
        "R-precision, NDCG and clicks on the test cases.",
    )
    what = p.add_mutually_exclusive_group()
    what.add_argument("--checkpoint", type=Path, metavar="CKPT", help="a trained checkpoint")
    what.add_argument("--baseline", choices=BASELINES, help="fit and evaluate a baseline instead")
    p.add_argument("--protocol", choices=("link", "challenge"), default="challenge")
    p.add_argument("--kcore", type=int, default=1, metavar="K", help="k-core filter first (link)")
    p.add_argument(
        "--slices",
        type=int,
        metavar="N",
        help="MPD playlists of the first N slices only (the reference study: 50)",
    )
    p.add_argument("--n-test", type=int, default=0, metavar="N", help="test playlists (challenge)")
    p.add_argument("--seed", type=int, default=0, help="split seed")
    p.add_argument("--device", default="cpu", help="device for the checkpoint (cpu, cuda)")
    p.add_argument("--by-category", action="store_true", help="also one line per category")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_library_option(p)
    p.set_defaults(func=cmd_evaluate)

    p = subparsers.add_parser(
        "challenge",
        help="write an official RecSys 2018 submission CSV for a challenge_set.json",
        description="For every playlist of the challenge set, rank 500 unique tracks (never a "
        "seed) and write 'team_info,NAME,EMAIL' then 'pid,uri1,...,uri500' lines.",
    )
    what = p.add_mutually_exclusive_group()
    what.add_argument("--checkpoint", type=Path, metavar="CKPT")
    what.add_argument("--baseline", choices=BASELINES, help="fit a baseline on the library instead")
    p.add_argument("--challenge-set", type=Path, required=True, metavar="FILE")
    p.add_argument("--out", type=Path, required=True, metavar="CSV")
    p.add_argument("--team", default="playlist-assistant", metavar="NAME")
    p.add_argument("--email", default="nobody@example.org", metavar="E")
    p.add_argument(
        "--track",
        choices=("main", "creative"),
        default=None,
        help="2018 format only: add the track field (team_info,NAME,main,EMAIL)",
    )
    p.add_argument("--device", default="cpu")
    add_library_option(p)
    p.set_defaults(func=cmd_challenge)


# -- shared helpers ------------------------------------------------------------------


def library_interactions(args: argparse.Namespace) -> Interactions:
    """The library's graph, with playlist names (for title-only cases)."""
    with open_library(args) as library:
        return Interactions.from_library(library, slices=getattr(args, "slices", None))


def default_checkpoint() -> Path:
    """The active checkpoint from the settings, else the bundled one."""
    active = load_settings().active_checkpoint
    return Path(active) if active else BUNDLED_CHECKPOINT


def load_service(path: Path | None, device: str) -> Any:
    """Loads a checkpoint (default: the active one) through the ML core's RecommenderService."""
    path = path or default_checkpoint()
    try:
        from assistant.ml.recommend import RecommenderService
    except ModuleNotFoundError as exc:  # the recommender is being built
        raise InputError(
            "This installation cannot load checkpoints (assistant.ml.recommend is missing).",
            hint="Evaluate a baseline with --baseline, or update the application.",
        ) from exc
    if not path.exists():
        raise InputError(
            f"No checkpoint at {path}.", hint="Train one with `playlist-assistant train`."
        )
    return RecommenderService.load(path, device=device)


def service_ranker(service: Any) -> Ranker:
    def rank(seed_uris: Sequence[str], n: int) -> tuple[list[str], int]:
        result = service.recommend(list(seed_uris), k=n, explain=False)
        return [r.track_uri for r in result.recommendations], len(result.unknown_seeds)

    return rank


def scorer_ranker(scorer: Any, data: Interactions) -> Ranker:
    def rank(seed_uris: Sequence[str], n: int) -> tuple[list[str], int]:
        seeds, unknown = data.encode(seed_uris)
        case = Case(-1, -1, seeds, np.zeros(0, np.int64))
        ranked = predict(scorer, [case], n=n)[0]
        return [data.track_uris[j] for j in ranked if j >= 0], len(unknown)

    return rank


def fit_named_baseline(
    name: str, split: Split | None, train: Interactions, notes: list[str] | None = None
) -> Any:
    """Fits a baseline; EASE's λ and iALS's grid are tuned on the split's validation cases
    when there are any (a line saying what was chosen goes to ``notes``)."""
    if name in ("ease", "ials") and split is not None and split.val:
        validate = make_validator(split.val)
        if name == "ease":
            scorer, _ = tune_ease(train, validate)
            chosen = f"lambda={scorer.lam:g}"
        else:
            scorer, _ = tune_ials(train, validate)
            chosen = ", ".join(f"{k}={v:g}" for k, v in scorer.params.items())
        if notes is not None:
            notes.append(f"{name} tuned on {len(split.val)} validation cases: {chosen}.")
        return scorer
    return fit_baseline(name, train)


def heldout_ids(service: Any) -> tuple[set[int], str] | None:
    """Playlist ids the checkpoint's metadata says were kept out of training, and the key.

    ``heldout_playlist_ids``/``test_playlist_ids`` were never looked at while training;
    ``val_playlist_ids`` were not trained on but chose the epoch (early stopping).
    """
    for attr in ("metadata", "meta", "card"):
        meta = getattr(service, attr, None)
        if isinstance(meta, dict):
            for key in HELDOUT_KEYS:
                if isinstance(meta.get(key), list) and meta[key]:
                    return {int(x) for x in meta[key]}, key
    return None


def heldout_cases(args: argparse.Namespace, data: Interactions, held: set[int]) -> list[Case]:
    """Cases built from the checkpoint's held-out playlists only (none of them trained on)."""
    rows = [i for i, pid in enumerate(data.playlist_ids) if int(pid) in held]
    if len(rows) < 2:
        return []
    sub = data.select_rows(rows)
    if args.protocol == "link":
        return link_split(sub, seed=args.seed).test
    return challenge_split(sub, n_val=0, n_test=len(rows), seed=args.seed).test


# -- evaluate --------------------------------------------------------------------------


def build_split(args: argparse.Namespace, data: Interactions) -> Split:
    if args.protocol == "link":
        graph = data.kcore(args.kcore) if args.kcore > 1 else data
        if graph.n_edges == 0:
            raise InputError(
                f"The {args.kcore}-core of the library is empty.", hint="Use a smaller --kcore."
            )
        return link_split(graph, seed=args.seed)
    n = args.n_test or max(1, min(1000, data.n_playlists // 10))
    if data.n_playlists < 3:
        raise InputError(
            "The challenge protocol needs at least 3 playlists in the library.",
            hint="Import more playlists (e.g. `playlist-assistant demo`).",
        )
    return challenge_split(data, n_val=n, n_test=n, seed=args.seed)


def cmd_evaluate(args: argparse.Namespace) -> int:
    data = library_interactions(args)
    notes: list[str] = []
    if args.baseline:
        split = build_split(args, data)
        scorer = fit_named_baseline(args.baseline, split, split.train, notes)
        model = args.baseline
        by_cat = evaluate_by_category(scorer, split.test)
        means = by_cat.pop("all", None)
        if means is None:
            raise InputError("No test case has held-out tracks.", hint="Use a larger library.")
    else:
        service = load_service(args.checkpoint, args.device)
        model = getattr(service, "model_name", str(args.checkpoint))
        held = heldout_ids(service)
        cases = heldout_cases(args, data, held[0]) if held else []
        if held and cases:
            notes.append(
                f"Scored on the {len(held[0])} playlists the checkpoint's metadata lists as "
                f"held out ({held[1]}), none of which it was trained on."
            )
            if held[1] == "val_playlist_ids":
                notes.append(
                    "Those playlists chose the training epoch (early stopping), so the numbers "
                    "are slightly optimistic."
                )
        else:
            cases = build_split(args, data).test
            notes.append(
                "The checkpoint's metadata does not say which playlists of this library it held "
                "out: if it was trained on this library it has seen these test playlists, and "
                "the numbers are optimistic. Compare models on a split they were not trained on."
            )
        rank = service_ranker(service)
        scored = [c for c in cases if len(c.targets)]
        if not scored:
            raise InputError("No test case has held-out tracks.", hint="Use a larger library.")
        index = data.track_index
        ranked, unknown = [], 0
        for case in scored:
            uris, n_unknown = rank([data.track_uris[j] for j in case.seeds], N_PREDICTIONS)
            unknown += n_unknown
            ranked.append(np.array([index.get(u, -1) for u in uris], dtype=np.int64))
        if unknown:
            notes.append(f"{unknown} seed tracks were unknown to the checkpoint (not used).")
        per_case = metrics_from_rankings(scored, ranked)
        means = summarize(per_case)
        by_cat = {}
        for cat in sorted({c.category for c in scored}):
            idx = [i for i, c in enumerate(scored) if c.category == cat]
            by_cat[cat] = summarize({k: v[idx] for k, v in per_case.items()})
    report = {
        "model": model,
        "protocol": args.protocol,
        "playlists": data.n_playlists,
        "tracks": data.n_tracks,
        "metrics": means,
        "by_category": by_cat if args.by_category else {},
        "notes": notes,
    }
    if args.json:
        print_json(report)
    else:
        print_report(report)
    return 0


def print_report(report: dict[str, Any]) -> None:
    m = report["metrics"]
    print(
        f"{report['model']} on the {report['protocol']} protocol "
        f"({int(m['cases'])} test cases, library of {report['playlists']} playlists, "
        f"{report['tracks']} tracks)"
    )
    names = ["recall@20", "recall@50", "recall@300", "r_precision", "ndcg", "clicks"]
    print("  " + "  ".join(f"{n:>11}" for n in ["category", *names, "cases"]))
    rows = [*report["by_category"].items(), ("all", m)]
    for cat, values in rows:
        cells = [f"{values[n]:11.4f}" for n in names] + [f"{int(values['cases']):11d}"]
        print("  " + "  ".join([f"{cat:>11}", *cells]))
    for note in report["notes"]:
        print(f"note: {note}", file=sys.stderr)


# -- challenge -------------------------------------------------------------------------


def write_submission(
    path: Path,
    rows: Sequence[tuple[int, Sequence[str]]],
    *,
    team: str,
    email: str,
    track: str | None = None,
) -> None:
    """Writes the submission CSV atomically (a temporary file renamed over the target)."""
    for field in (team, email):
        if "," in field or "\n" in field:
            raise InputError(
                f"'{field}' cannot go into the submission: it contains a comma or newline.",
                hint="Pass --team and --email without commas.",
            )
    head = ["team_info", team, *([track] if track else []), email]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", encoding="utf-8", newline="\n") as out:
        out.write(",".join(head) + "\n")
        for pid, uris in rows:
            out.write(",".join([str(pid), *uris]) + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def cmd_challenge(args: argparse.Namespace) -> int:
    from assistant.sources.mpd import read_challenge_set

    playlists = read_challenge_set(args.challenge_set)
    if args.baseline:
        data = library_interactions(args)
        scorer = fit_named_baseline(args.baseline, None, data)
        rank = scorer_ranker(scorer, data)
        model = args.baseline
    else:
        service = load_service(args.checkpoint, args.device)
        rank = service_ranker(service)
        model = getattr(service, "model_name", str(args.checkpoint))
    rows: list[tuple[int, list[str]]] = []
    unknown = 0
    for p in playlists:
        seeds = set(p.seed_uris)
        ranked, n_unknown = rank(p.seed_uris, N_PREDICTIONS)
        unknown += n_unknown
        uris = [u for u in dict.fromkeys(ranked) if u not in seeds]
        if len(uris) < N_PREDICTIONS:
            raise InputError(
                f"The model can only propose {len(uris)} tracks for challenge playlist {p.pid}; "
                f"a submission needs {N_PREDICTIONS}.",
                hint="Use a checkpoint (or library) with a larger catalog.",
            )
        rows.append((p.pid, uris[:N_PREDICTIONS]))
    write_submission(args.out, rows, team=args.team, email=args.email, track=args.track)
    print(f"Wrote {len(rows)} playlists × {N_PREDICTIONS} tracks from {model} to {args.out}.")
    if unknown:
        print(f"note: {unknown} seed tracks were unknown to the model (not used).", file=sys.stderr)
    return 0
