"""Evaluation sub-commands: ``evaluate`` (a checkpoint or a baseline on the library) and
``challenge`` (an official RecSys 2018 submission CSV from a ``challenge_set.json``).

The work is :mod:`assistant.jobs.evaluating`; this module parses and prints.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from assistant.cli.common import add_library_option, library_path, print_json
from assistant.jobs.choices import BASELINES, PROTOCOLS


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
    p.add_argument("--protocol", choices=PROTOCOLS, default="challenge")
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


def cmd_evaluate(args: argparse.Namespace) -> int:
    from assistant.jobs.evaluating import EvaluationOptions, evaluate

    options = EvaluationOptions(
        checkpoint=args.checkpoint,
        baseline=args.baseline,
        protocol=args.protocol,
        kcore=args.kcore,
        slices=args.slices,
        n_test=args.n_test,
        seed=args.seed,
        device=args.device,
    )
    report = evaluate(library_path(args), options)
    if not args.by_category:
        report["by_category"] = {}
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


def cmd_challenge(args: argparse.Namespace) -> int:
    from assistant.jobs.evaluating import N_PREDICTIONS, write_challenge_submission

    outcome = write_challenge_submission(
        library_path(args),
        args.challenge_set,
        args.out,
        checkpoint=args.checkpoint,
        baseline=args.baseline,
        team=args.team,
        email=args.email,
        track=args.track,
        device=args.device,
    )
    print(
        f"Wrote {outcome.playlists} playlists × {N_PREDICTIONS} tracks from {outcome.model} "
        f"to {args.out}."
    )
    if outcome.unknown_seeds:
        print(
            f"note: {outcome.unknown_seeds} seed tracks were unknown to the model (not used).",
            file=sys.stderr,
        )
    return 0
