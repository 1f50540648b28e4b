"""Model sub-commands: ``train``, ``recommend``, ``models``, ``use``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from assistant.cli.common import (
    StderrProgress,
    add_library_option,
    library_path,
    open_library,
    print_json,
)
from assistant.config import load_settings
from assistant.errors import InputError
from assistant.jobs.checkpoints import active_checkpoint_path, set_active
from assistant.jobs.choices import ARCHITECTURES, TrainConfig


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the model commands to the top-level parser."""
    d = TrainConfig()
    p = subparsers.add_parser(
        "train",
        help="train a recommender on the library and make it the active model",
        description="Train a GNN on the library's playlists (validation playlists held out "
        "for early stopping), write the checkpoint atomically, register it and make it "
        "the active model (unless --no-activate).",
        epilog="Across processes or machines (torch.distributed, DistributedDataParallel): "
        "torchrun --standalone --nproc-per-node N -m assistant train [options]. CPUs use "
        "gloo; --device cuda uses NCCL, one GPU per process. Several machines: --nnodes M "
        "--node-rank R --master-addr HOST --master-port PORT instead of --standalone. Each "
        "step's playlists are split across the processes; rank 0 writes the checkpoint.",
    )
    p.add_argument("--model", choices=ARCHITECTURES, default=d.model)
    p.add_argument(
        "--out",
        type=Path,
        metavar="CKPT",
        help="checkpoint file to write (default: a new file in the per-user checkpoints folder)",
    )
    p.add_argument("--epochs", type=int, default=d.epochs, metavar="N")
    p.add_argument("--dim", type=int, default=d.dim, metavar="D")
    p.add_argument("--layers", type=int, default=d.layers, metavar="L")
    p.add_argument("--heads", type=int, default=d.heads, metavar="H")
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--batch-size", type=int, default=d.batch_size, metavar="B")
    p.add_argument("--patience", type=int, default=d.patience, metavar="N")
    p.add_argument("--device", default=d.device, help="auto | cpu | cuda (default auto)")
    p.add_argument(
        "--loss",
        choices=("softmax", "bpr"),
        default=d.loss,
        help="softmax over the whole catalog (default), or BPR with sampled negatives "
        "(the reference study's)",
    )
    p.add_argument(
        "--negatives",
        choices=("hard", "random"),
        default=d.negatives,
        help="negative sampling for --loss bpr (hard: from the current top scores)",
    )
    p.add_argument(
        "--fold-in",
        action="store_true",
        help="each step's playlists leave the message-passing graph, as a new playlist would",
    )
    p.add_argument("--seed", type=int, default=d.seed, metavar="S")
    p.add_argument("--kcore", type=int, default=0, metavar="K", help="train on the K-core only")
    p.add_argument(
        "--slices",
        type=int,
        metavar="N",
        help="MPD playlists of the first N slices only (the reference study: --slices 50 --kcore 30)",
    )
    p.add_argument("--positional", action="store_true", help="learned position embeddings")
    p.add_argument("--no-cosine", action="store_true", help="unbounded dot-product scores")
    p.add_argument("--fixed-alpha", action="store_true", help="uniform layer weights")
    p.add_argument("--no-activate", action="store_true", help="do not make it the active model")
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    add_library_option(p)
    p.set_defaults(func=cmd_train)

    p = subparsers.add_parser(
        "recommend",
        help="propose continuations of a playlist (or of seed tracks), with explanations",
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--playlist", metavar="ID", help="id, source:ref (mpd:1099) or exact name")
    what.add_argument("--seeds", type=Path, metavar="FILE", help="JSON list of track URIs")
    p.add_argument(
        "--checkpoint",
        type=Path,
        metavar="CKPT",
        help="default: the active checkpoint, else the bundled one",
    )
    p.add_argument("--k", type=int, default=50, metavar="K")
    p.add_argument("--explain", action="store_true", help="per-neighbour explanations")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--max-per-artist", type=int, default=0, metavar="N")
    p.add_argument("--block-artist", action="append", default=[], metavar="NAME")
    p.add_argument("--device", default="cpu", help="cpu (default) | cuda | auto")
    add_library_option(p)
    p.set_defaults(func=cmd_recommend)

    p = subparsers.add_parser("models", help="list registered checkpoints (* = active)")
    p.add_argument("--json", action="store_true")
    add_library_option(p)
    p.set_defaults(func=cmd_models)

    p = subparsers.add_parser("use", help="make a checkpoint the active model")
    p.add_argument("checkpoint", type=Path, metavar="CKPT")
    add_library_option(p)
    p.set_defaults(func=cmd_use)


def _config(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(
        model=args.model,
        epochs=args.epochs,
        dim=args.dim,
        layers=args.layers,
        heads=args.heads,
        lr=args.lr,
        batch_size=args.batch_size,
        patience=args.patience,
        device=args.device,
        loss=args.loss,
        negatives=args.negatives,
        fold_in=args.fold_in,
        seed=args.seed,
        positional=args.positional,
        cosine=not args.no_cosine,
        learnable_alpha=not args.fixed_alpha,
    )


def cmd_train(args: argparse.Namespace) -> int:
    from assistant.jobs.checkpoints import describe_device, resolve_device
    from assistant.jobs.training import train_on_library

    config = _config(args)
    main_process = os.environ.get("RANK", "0") == "0"  # torchrun's rank; rank 0 reports
    if main_process:
        device = describe_device(resolve_device(config.device))
        print(f"Training {config.model} on {device}…", file=sys.stderr)
    progress = StderrProgress()
    try:
        outcome = train_on_library(
            library_path(args),
            config,
            out_path=args.out,
            report=progress,
            kcore=args.kcore,
            slices=args.slices,
        )
    finally:
        progress.close()
    if outcome.rank != 0:
        return 0  # another torchrun process: rank 0 saved, activates and reports
    if not args.no_activate:
        set_active(load_settings(), Path(outcome.checkpoint_path).resolve())
    summary = {
        "checkpoint": str(outcome.checkpoint_path),
        "model": outcome.model,
        "device": outcome.device,
        "best_epoch": outcome.best_epoch,
        "epochs_run": len(outcome.history),
        "seconds": round(outcome.seconds, 2),
        "metrics": outcome.metrics,
        "data": outcome.data,
        "active": not args.no_activate,
    }
    if args.json:
        print_json(summary)
    else:
        metrics = ", ".join(f"{k} {v:.4f}" for k, v in outcome.metrics.items())
        print(f"Saved {outcome.checkpoint_path} (best epoch {outcome.best_epoch}: {metrics}).")
        if not args.no_activate:
            print("It is now the active model.")
    return 0


def _read_seeds(path: Path) -> list[str]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            f"Cannot read seeds from {path}: {exc}.", hint="Give a JSON list of track URIs."
        ) from exc
    if not isinstance(raw, list) or not all(isinstance(u, str) for u in raw):
        raise InputError(
            f"{path} is not a JSON list of track URIs.",
            hint='Write e.g. ["spotify:track:…", "spotify:track:…"].',
        )
    return raw


def cmd_recommend(args: argparse.Namespace) -> int:
    from assistant.jobs.checkpoints import load_service
    from assistant.jobs.recommending import recommend_for_playlist, recommend_for_seeds

    path = args.checkpoint or active_checkpoint_path(load_settings())
    service = load_service(path, device=args.device)
    filters = dict(max_per_artist=args.max_per_artist, blocked_artists=args.block_artist)
    with open_library(args) as library:
        playlist_id = None
        if args.playlist is not None:
            playlist_id = library.find_playlist(args.playlist).id
            run_id, result = recommend_for_playlist(
                library, service, int(playlist_id or 0), args.k, **filters
            )
        else:
            run_id, result = recommend_for_seeds(
                library, service, _read_seeds(args.seeds), args.k, **filters
            )
        uris = [r.track_uri for r in result.recommendations]
        if args.explain and not args.json:  # name the neighbours too
            uris += [n.neighbor_uri for r in result.recommendations for n in r.reasons[:3]]
        meta = library.tracks(uris)
    if args.json:
        print_json(_as_json(service, path, playlist_id, run_id, result, meta, args.explain))
        return 0
    if result.unknown_seeds:
        print(
            f"{len(result.unknown_seeds)} seed track(s) are unknown to the model and were "
            "not used.",
            file=sys.stderr,
        )
    for rec in result.recommendations:
        t = meta.get(rec.track_uri)
        label = f"{t.artist_name} – {t.name}" if t else rec.track_uri
        print(f"{rec.rank:3d}. {label}  ({rec.score:.3f})")
        if args.explain:
            for reason in rec.reasons[:3]:
                n = meta.get(reason.neighbor_uri)
                who = f"{n.artist_name} – {n.name}" if n else reason.neighbor_uri
                print(
                    f"       ← {who}  attention {reason.attention:.2f}, "
                    f"contribution {reason.contribution:+.3f}"
                )
            rest = len(rec.reasons) - 3
            more = f" (+ {rest} more tracks)" if rest > 0 else ""
            total = sum(r.contribution for r in rec.reasons)
            print(
                f"       = bias {rec.bias:+.3f} + contributions {total:+.3f}{more} "
                f"= score {rec.score:.3f}"
            )
    print(f"(run {run_id}, model {service.model_name})", file=sys.stderr)
    return 0


def _as_json(
    service: Any,
    path: Path,
    playlist_id: int | None,
    run_id: int,
    result: Any,
    meta: dict,
    explain: bool,
) -> dict:
    recs = []
    for rec in result.recommendations:
        t = meta.get(rec.track_uri)
        item = {
            "rank": rec.rank,
            "track_uri": rec.track_uri,
            "track_name": t.name if t else "",
            "artist_name": t.artist_name if t else "",
            "score": rec.score,
            "bias": rec.bias,
        }
        if explain:
            item["explanation"] = [
                {
                    "neighbor_uri": r.neighbor_uri,
                    "attention": r.attention,
                    "contribution": r.contribution,
                }
                for r in rec.reasons
            ]
        recs.append(item)
    return {
        "model": service.model_name,
        "checkpoint": str(path),
        "playlist_id": playlist_id,
        "run_id": run_id,
        "unknown_seeds": result.unknown_seeds,
        "recommendations": recs,
    }


def cmd_models(args: argparse.Namespace) -> int:
    active = str(Path(active_checkpoint_path(load_settings())).resolve())
    with open_library(args) as library:
        records = library.checkpoints()
    rows = [
        {
            "path": r.path,
            "model": r.model,
            "created_at": r.created_at,
            "metrics": r.metrics,
            "active": str(Path(r.path).resolve()) == active,
            "exists": Path(r.path).exists(),
        }
        for r in records
    ]
    if args.json:
        print_json({"active": active, "checkpoints": rows})
        return 0
    if not rows:
        print("No trained checkpoints yet; the bundled demo model is used.")
    for row in rows:
        mark = "*" if row["active"] else " "
        ndcg = row["metrics"].get("ndcg")
        extra = f"  ndcg {ndcg:.4f}" if isinstance(ndcg, int | float) else ""
        gone = "  (file missing)" if not row["exists"] else ""
        print(f"{mark} {row['model']:9s} {row['path']}{extra}{gone}")
    if not any(r["active"] for r in rows):
        print(f"* active: {active}")
    return 0


def cmd_use(args: argparse.Namespace) -> int:
    from assistant.jobs.checkpoints import activate_checkpoint

    with open_library(args) as library:
        # Refuses corrupt or foreign files before switching.
        activated = activate_checkpoint(library, args.checkpoint)
    print(f"Active model: {activated.model} ({activated.path}).")
    return 0
