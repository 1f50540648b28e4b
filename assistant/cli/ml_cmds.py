"""Model sub-commands: ``train``, ``recommend``, ``models``, ``use``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.cli.common import (
    StderrProgress,
    add_library_option,
    checked_out_path,
    library_path,
    library_to_write,
    non_negative_int,
    open_library,
    positive_int,
    print_json,
    terminal_safe,
)
from assistant.config import load_settings
from assistant.errors import InputError
from assistant.jobs.checkpoints import active_checkpoint_path, set_active
from assistant.jobs.choices import ARCHITECTURES, TrainConfig
from assistant.jobs.explaining import ReasonContext, group_reasons, reason_context, reason_sentence

if TYPE_CHECKING:  # the jobs module imports torch: only when a command runs a model
    from assistant.jobs.recommending import SeedCoverage


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
    p.add_argument("--epochs", type=positive_int, default=d.epochs, metavar="N")
    p.add_argument("--dim", type=positive_int, default=d.dim, metavar="D")
    p.add_argument("--layers", type=int, default=d.layers, metavar="L")
    p.add_argument("--heads", type=positive_int, default=d.heads, metavar="H")
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--batch-size", type=positive_int, default=d.batch_size, metavar="B")
    p.add_argument("--patience", type=int, default=d.patience, metavar="N")
    p.add_argument("--device", default=d.device, help="auto | cpu | cuda (default auto)")
    p.add_argument(
        "--loss",
        choices=("sampled", "softmax", "bpr"),
        default=d.loss,
        help="sampled softmax with log-Q correction (default; the only one for hgat), "
        "softmax over the whole catalog, or BPR with sampled negatives (the reference study's)",
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
    p.add_argument(
        "--include-spotify",
        action="store_true",
        help="also train on Spotify-imported playlists (your decision: the model stays on "
        "this computer; Spotify's Developer Terms restrict training models on its content)",
    )
    p.add_argument(
        "--include-demo",
        action="store_true",
        help="also train on the synthetic demo catalog (left out once real playlists exist)",
    )
    p.add_argument("--positional", action="store_true", help="learned position embeddings")
    p.add_argument("--no-cosine", action="store_true", help="unbounded dot-product scores")
    p.add_argument("--fixed-alpha", action="store_true", help="uniform layer weights")
    p.add_argument("--no-activate", action="store_true", help="do not make it the active model")
    p.add_argument(
        "--activate-anyway",
        action="store_true",
        help="make it the active model even when it scores below the active one here",
    )
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
    p.add_argument("--k", type=positive_int, default=50, metavar="K")
    p.add_argument("--explain", action="store_true", help="per-neighbour explanations")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--max-per-artist", type=non_negative_int, default=0, metavar="N", help="0: no limit"
    )
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
    out = checked_out_path(args.out) if args.out else None  # before, not after, training
    settings = load_settings()
    active = active_checkpoint_path(settings)
    main_process = os.environ.get("RANK", "0") == "0"  # torchrun's rank; rank 0 reports
    if main_process:
        device = describe_device(resolve_device(config.device))
        print(f"Training {config.model} on {device}…", file=sys.stderr)
    progress = StderrProgress()
    try:
        outcome = train_on_library(
            library_path(args),
            config,
            out_path=out,
            report=progress,
            kcore=args.kcore,
            slices=args.slices,
            include_spotify=args.include_spotify or settings.train_on_spotify == "yes",
            include_demo=args.include_demo,
            compare_with=active,
        )
    finally:
        progress.close()
    if outcome.rank != 0:
        return 0  # another torchrun process: rank 0 saved, activates and reports
    # A model that scores below the active one on this library never replaces it silently.
    kept = outcome.worse_than_active and not args.no_activate and not args.activate_anyway
    activated = not args.no_activate and not kept
    if activated:
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
        "evaluation": outcome.evaluation,
        "active": activated,
    }
    if args.json:
        print_json(summary)
    else:
        metrics = ", ".join(f"{k} {v:.4f}" for k, v in outcome.metrics.items())
        print(f"Saved {outcome.checkpoint_path} (best epoch {outcome.best_epoch}: {metrics}).")
        sources = ", ".join(outcome.data.get("sources", []))
        print(f"Learned from: {sources} ({outcome.data.get('playlists', 0):,} playlists).")
        if outcome.summary:
            print(outcome.summary)
        if activated:
            print("It is now the active model.")
    if kept:
        print(
            f"The new model scores below the active one on this library, so the active model "
            f"({active}) stays. To use the new one anyway: "
            f"`playlist-assistant use {outcome.checkpoint_path}` (or train with "
            "--activate-anyway).",
            file=sys.stderr,
        )
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
    from assistant.jobs.recommending import (
        SeedCoverage,
        recommend_for_playlist,
        recommend_for_seeds,
    )

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
        seeds = list(result.seed_classes)  # every distinct seed, playlist order
        # what the recommendation itself used (the popular list of an empty one: none)
        coverage = result.coverage or SeedCoverage.of(result.seed_classes)
        uris = [r.track_uri for r in result.recommendations]
        if args.explain:  # name the seeds and count their artists and albums too
            uris += seeds
        meta = library.tracks(uris)
    context = reason_context(meta, seeds) if args.explain else None
    if args.json:
        print_json(_as_json(service, path, playlist_id, run_id, result, coverage, meta, context))
        return 0
    if result.notice:
        print(terminal_safe(result.notice))
    if result.kind == "model":
        print(coverage.sentence(), file=sys.stderr)
    for rec in result.recommendations:
        t = meta.get(rec.track_uri)
        label = terminal_safe(f"{t.artist_name} – {t.name}") if t else rec.track_uri
        print(f"{rec.rank:3d}. {label}  ({rec.score:.3f})")
        if context is not None:
            print(
                f"       {terminal_safe(reason_sentence(rec.reasons, context.labels, context.counts))}"
            )
            groups = group_reasons(rec.reasons, context.labels, context.counts)
            for group in groups[:3]:
                print(
                    f"       ← {group.kind}: {terminal_safe(group.phrase)}  "
                    f"contribution {group.contribution:+.3f}"
                    + (f" ({group.share:.0%})" if group.share > 0 else "")
                )
            rest = len(groups) - 3
            more = f" (+ {rest} more)" if rest > 0 else ""
            total = sum(r.contribution for r in rec.reasons)
            print(
                f"       = bias {rec.bias:+.3f} + contributions {total:+.3f}{more} "
                f"= score {rec.score:.3f}"
            )
    if run_id is not None:
        print(f"(run {run_id}, model {service.model_name})", file=sys.stderr)
    return 0


def _as_json(
    service: Any,
    path: Path,
    playlist_id: int | None,
    run_id: int | None,
    result: Any,
    coverage: SeedCoverage,
    meta: dict,
    context: ReasonContext | None,
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
        if context is not None:
            item["why"] = reason_sentence(rec.reasons, context.labels, context.counts)
            item["explanation"] = [
                {
                    "kind": r.kind,
                    "neighbor_uri": r.neighbor_uri,
                    "attention": r.attention,
                    "contribution": r.contribution,
                }
                for r in rec.reasons
            ]
        recs.append(item)
    return {
        "model": result.model,
        "checkpoint": str(path),
        "playlist_id": playlist_id,
        "run_id": run_id,
        "seed_coverage": coverage.as_dict(),
        "unknown_seeds": coverage.unused,  # the seeds used in no way
        "kind": result.kind,
        "notice": result.notice,
        "recommendations": recs,
    }


def cmd_models(args: argparse.Namespace) -> int:
    from assistant.jobs.training_sources import library_score

    active = str(Path(active_checkpoint_path(load_settings())).resolve())
    with open_library(args) as library:
        records = library.checkpoints()
        rows = [
            {
                "path": r.path,
                "model": r.model,
                "created_at": r.created_at,
                "metrics": r.metrics,
                "sources": list(r.sources),
                "library_score": library_score(library, r.path),
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
        score = row["library_score"]
        ndcg = row["metrics"].get("ndcg")
        extra = f"  ndcg {ndcg:.4f}" if isinstance(ndcg, int | float) else ""
        if score:
            extra += f"  (NDCG {score['ndcg']:.4f} on this library's held-out playlists)"
        gone = "  (file missing)" if not row["exists"] else ""
        print(f"{mark} {row['model']:9s} {row['path']}{extra}{gone}")
    if not any(r["active"] for r in rows):
        print(f"* active: {active}")
    return 0


def cmd_use(args: argparse.Namespace) -> int:
    from assistant.jobs.checkpoints import activate_checkpoint

    with library_to_write(args) as library:
        # Refuses corrupt or foreign files before switching.
        activated = activate_checkpoint(library, args.checkpoint)
    print(f"Active model: {activated.model} ({activated.path}).")
    if activated.warning:
        print(f"warning: {activated.warning}", file=sys.stderr)
    return 0
