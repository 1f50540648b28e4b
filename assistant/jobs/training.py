"""Training on the person's library: graph, validation hold-out, train, save, record.

Runs in a worker thread (it opens its own :class:`Library`) or from the CLI. A cancelled
or failed run writes no checkpoint and leaves any previous file at ``out_path``
byte-identical (the checkpoint is written atomically, and only after training
succeeded); the run is recorded in ``training_runs`` either way.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from assistant.config import checkpoints_dir
from assistant.errors import AssistantError, Cancelled, TrainingError
from assistant.jobs.training_sources import (  # noqa: F401  (re-exported)
    RATE_META_KEY,
    SCORE_META_PREFIX,
    SPOTIFY_SOURCE,
    SPOTIFY_TRAINING_NOTICE,
    choose_sources,
    library_score,
)
from assistant.ml.spec import TrainConfig
from assistant.progress import CancelToken, Progress, ProgressCallback
from assistant.store.library import Library

if TYPE_CHECKING:
    from assistant.ml.distributed import World
    from assistant.ml.graph import Interactions

MIN_PLAYLISTS_FOR_VALIDATION = 20
MAX_VALIDATION_PLAYLISTS = 500


@dataclass
class TrainOutcome:
    """What a finished training run produced."""

    checkpoint_path: Path
    metrics: dict[str, float]
    history: list[dict[str, float]]
    run_id: int
    model: str = ""
    best_epoch: int = 0
    device: str = ""
    seconds: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)
    # Scores on held-out playlists of this library (see assistant.jobs.model_scores).
    evaluation: dict[str, Any] = field(default_factory=dict)
    summary: str = ""  # one sentence of those scores
    worse_than_active: bool = False  # the new model scores below the active one
    rank: int = 0  # under torchrun: this process's rank (only rank 0 saved and recorded)


def default_checkpoint_path(model: str, folder: Path | None = None) -> Path:
    """A fresh file name for a new checkpoint (default folder: the per-user checkpoints)."""
    return (folder or checkpoints_dir()) / f"{model}-{time.strftime('%Y%m%d-%H%M%S')}.ckpt"


def holdout(data: Interactions, seed: int = 0) -> tuple[Interactions, list[Any], str]:
    """Held-out cases of the library's own playlists, and the graph to train on.

    ~10% of playlists (at most 500), RecSys-2018 style (seeds given, the rest hidden);
    with fewer than :data:`MIN_PLAYLISTS_FOR_VALIDATION` playlists, leave-n-out within
    playlists instead (see :func:`~assistant.jobs.model_scores.leave_n_out`).

    Returns:
        (training graph, cases — empty when nothing can be held out, protocol name).
    """
    import numpy as np

    from assistant.jobs.model_scores import leave_n_out
    from assistant.ml.split import CATEGORIES, CATEGORY_MIN_LENGTH, Case, challenge_split

    if data.n_playlists < MIN_PLAYLISTS_FOR_VALIDATION:
        train, cases = leave_n_out(data, seed=seed)
        return (train, cases, "leave-n-out") if cases else (data, [], "")
    n_val = min(MAX_VALIDATION_PLAYLISTS, max(5, data.n_playlists // 10))
    lengths = data.lengths()
    # Only the challenge categories this library's playlists are long enough for.
    fitting = [
        name
        for name, _, _ in CATEGORIES
        if name != "title" and (lengths >= CATEGORY_MIN_LENGTH[name]).sum() >= 5
    ]
    if fitting:
        split = challenge_split(data, n_val=n_val, n_test=0, seed=seed, categories=fitting)
        if split.val:
            return split.train, list(split.val), "held-out playlists"
    # Short playlists only: hold out whole playlists, the first half as seeds.
    rng = np.random.default_rng(seed)
    rows = rng.permutation(np.flatnonzero(lengths >= 2))[:n_val]
    if len(rows) == 0:
        return data, [], ""
    cases = []
    for r in rows:
        tracks = data.row(int(r))
        half = len(tracks) // 2
        cases.append(Case(int(r), int(data.playlist_ids[r]), tracks[:half], tracks[half:], "half"))
    keep = np.setdiff1d(np.arange(data.n_playlists), rows)
    return data.select_rows(keep), cases, "held-out playlists"


def validation_split(
    data: Interactions, seed: int = 0
) -> tuple[Interactions, Any | None, list[int]]:
    """:func:`holdout` as (training graph, validator or None, held-out playlist ids)."""
    from assistant.ml.evaluate import make_validator

    train, cases, _ = holdout(data, seed=seed)
    if not cases:
        return data, None, []
    return train, make_validator(cases), [c.playlist_id for c in cases]


def train_on_library(
    library_path: Path,
    config: TrainConfig,
    *,
    out_path: Path | None = None,
    report: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    kcore: int = 0,
    source: str | None = None,
    slices: int | None = None,
    include_spotify: bool = False,
    include_demo: bool = False,
    compare_with: str | Path | None = None,
    sources: tuple[str, ...] | list[str] | None = None,
    world: World | None = None,
) -> TrainOutcome:
    """Trains ``config.model`` on the library's playlists and saves a checkpoint.

    Started by ``torchrun`` (more than one process), every process trains its share of
    each step (:mod:`assistant.ml.distributed`) and rank 0 alone saves and records.

    Args:
        library_path: the SQLite library (opened here: this may run in a worker thread).
        config: hyper-parameters.
        out_path: where to write the checkpoint (default: the checkpoints folder).
        report: progress (stage "train", unit "epochs", metrics per epoch).
        cancel: polled every step.
        kcore: keep only the k-core of the graph (0 = everything).
        source: train on one source's playlists only ("mpd", "file", "local", ...).
        slices: train on the MPD playlists of the first N slices only (the study: 50).
        include_spotify: the person allows training on Spotify-imported playlists.
        include_demo: train on the synthetic demo too (left out by default once the
            library holds real playlists). See :func:`choose_sources`.
        sources: the sources the person ticked (default: :func:`choose_sources`'s).
        compare_with: the active checkpoint: scored on the same held-out cases as the
            new model, popularity and iALS (see :mod:`assistant.jobs.model_scores`).
        world: set by :func:`_train_distributed` (callers leave it out).

    Raises:
        InputError: the library has nothing to learn from.
        TrainingError: training diverged (nothing saved).
        Cancelled: the token was cancelled (nothing saved).
    """
    from assistant.ml import checkpoint as ckpt
    from assistant.ml.distributed import launched_by_torchrun
    from assistant.ml.train import train

    if world is None and launched_by_torchrun():
        return _train_distributed(
            library_path,
            config,
            out_path=out_path,
            report=report,
            cancel=cancel,
            kcore=kcore,
            source=source,
            slices=slices,
            options={
                "include_spotify": include_spotify,
                "include_demo": include_demo,
                "compare_with": compare_with,
                "sources": sources,
            },
        )
    out = Path(out_path) if out_path else default_checkpoint_path(config.model)
    with Library(library_path) as library:
        data, train_data, validator, cases, protocol, sources, config = _training_data(
            library,
            config,
            kcore,
            source,
            slices,
            include_spotify=include_spotify,
            include_demo=include_demo,
            sources=sources,
        )
        held_out = [c.playlist_id for c in cases]
        run_id = library.start_training_run(
            model=config.model,
            config=config.to_dict(),
            device=config.device,
            library_fingerprint=library.library_fingerprint(),
        )

        def on_progress(event: Progress) -> None:
            if "seconds" in event.metrics:  # the once-per-epoch event
                m = {k: v for k, v in event.metrics.items() if k not in ("loss", "seconds")}
                library.log_epoch(
                    run_id, event.done, event.metrics["loss"], m, event.metrics["seconds"]
                )
            if report is not None:
                report(event)

        try:
            result = train(
                train_data,
                config,
                validator=validator,
                report=on_progress,
                cancel=cancel,
                world=world,
            )
            scores = _score_on_library(
                train_data, cases, protocol, result.model, compare_with, seed=config.seed
            )
            info = {
                "playlists": data.n_playlists,
                "tracks": data.n_tracks,
                "edges": data.n_edges,
                "validation_playlists": len(held_out),
                "kcore": kcore,
                "slices": slices,
                "sources": list(sources),
                "library_fingerprint": library.library_fingerprint(),
                "library_id": library.library_id(),
            }
            ckpt.save_trained(
                out,
                result,
                graph_fingerprint=data.fingerprint(),
                extra={
                    "data": info,
                    "val_playlist_ids": held_out,
                    "sources": list(sources),
                    "evaluation": scores.to_dict(),
                },
            )
        except Cancelled:
            library.finish_training_run(run_id, status="cancelled", message="cancelled")
            raise
        except KeyboardInterrupt:  # Ctrl+C in the terminal (the CLI prints the message)
            library.finish_training_run(run_id, status="cancelled", message="interrupted (Ctrl+C)")
            raise
        except AssistantError as exc:
            library.finish_training_run(run_id, status="failed", message=str(exc))
            raise
        except Exception as exc:
            library.finish_training_run(run_id, status="failed", message=repr(exc))
            raise TrainingError(
                f"Training failed: {exc!r}.",
                hint="Nothing was saved and the previous model is kept. Report this "
                "with the message above.",
            ) from exc
        library_ndcg = scores.primary("new model")
        library.register_checkpoint(
            path=str(out),
            model=config.model,
            metrics={**result.metrics, **({"library_ndcg": library_ndcg} if cases else {})},
            config=config.to_dict(),
            graph_fingerprint=data.fingerprint(),
            training_run_id=run_id,
            sources=sources,
        )
        library.finish_training_run(run_id, status="finished", checkpoint_path=str(out))
        record_score(library, str(out), scores, "new model")
        epoch_seconds = [h["seconds"] for h in result.history if h.get("seconds")]
        if epoch_seconds and data.n_edges and result.device == "cpu":
            per_entry = sum(epoch_seconds) / len(epoch_seconds) / data.n_edges
            library.set_meta(RATE_META_KEY, f"{per_entry * 64 / max(8, config.dim):.3g}")
        if scores.active_path:
            record_score(library, scores.active_path, scores, "active model")
    return TrainOutcome(
        checkpoint_path=out,
        metrics=result.metrics,
        history=result.history,
        run_id=run_id,
        model=config.model,
        best_epoch=result.best_epoch,
        device=result.device,
        seconds=result.seconds,
        data=info,
        evaluation=scores.to_dict(),
        summary=scores.sentence() if scores.cases else "",
        worse_than_active=scores.new_is_worse,
    )


def record_score(library: Library, path: str, scores: Any, who: str) -> None:
    """Keeps a model's score on this library (for the Model menu and ``models``)."""
    value = scores.primary(who)
    if value is None:
        return
    library.set_meta(
        SCORE_META_PREFIX + str(Path(path).resolve()),
        json.dumps(
            {
                "ndcg": value,
                "cases": scores.cases,
                "protocol": scores.protocol,
                "fingerprint": library.library_fingerprint(),
            }
        ),
    )


def _score_on_library(
    train: Interactions,
    cases: list[Any],
    protocol: str,
    model: Any,
    compare_with: str | Path | None,
    *,
    seed: int,
) -> Any:
    from assistant.jobs.model_scores import score_models
    from assistant.ml.recommend import RecommenderService

    active = None
    path = ""
    if compare_with and Path(compare_with).exists():
        path = str(Path(compare_with).resolve())
        try:
            active = RecommenderService.load(path)
        except AssistantError:  # a damaged active model: nothing to compare with
            active, path = None, ""
    return score_models(
        train,
        cases,
        protocol,
        new_model=model,
        active_service=active,
        active_path=path,
        seed=seed,
    )


def score_checkpoints(
    library_path: Path,
    paths: list[str],
    *,
    report: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, float]:
    """Scores checkpoints on this library's held-out playlists (the default training
    sources and cases) and stores each score; returns {path: NDCG}.

    The scores are comparable with the ones training stores only roughly: training
    scores on the cases it held out of *its* graph; these checkpoints may have seen
    the very playlists scored here (then they score too well).
    """
    from assistant.jobs.model_scores import VocabularyScorer
    from assistant.ml.recommend import RecommenderService

    out: dict[str, float] = {}
    with Library(library_path) as library:
        from assistant.jobs.training_data import training_interactions

        data = training_interactions(library)
        train, cases, protocol = holdout(data)
        scored = [c for c in cases if len(c.targets)]
        if not scored:
            return out
        for n, path in enumerate(paths):
            if cancel is not None:
                cancel.raise_if_cancelled()
            if report is not None:
                report(Progress("score", n, len(paths), "models", Path(path).name))
            try:
                service = RecommenderService.load(path)
            except AssistantError:
                continue
            metrics = VocabularyScorer(service, train.track_uris).evaluate(scored)
            value = round(float(metrics["ndcg"]), 6)
            library.set_meta(
                SCORE_META_PREFIX + str(Path(path).resolve()),
                json.dumps(
                    {
                        "ndcg": value,
                        "cases": len(scored),
                        "protocol": protocol,
                        "fingerprint": library.library_fingerprint(),
                    }
                ),
            )
            out[path] = value
    return out


SOURCE_OPTIONS = ("include_spotify", "include_demo")


def _training_data(
    library: Library,
    config: TrainConfig,
    kcore: int,
    source: str | None,
    slices: int | None,
    *,
    include_spotify: bool = False,
    include_demo: bool = False,
    sources: tuple[str, ...] | list[str] | None = None,
) -> tuple[Interactions, Interactions, Any | None, list[Any], str, tuple[str, ...], TrainConfig]:
    """The graph, its training part, the validator, the held-out cases, their protocol,
    the sources trained on and the config (monitoring the loss when there is no
    validator). Every torchrun process builds the same from the same library."""
    from assistant.jobs.training_data import training_interactions

    chosen = choose_sources(
        library.source_counts(),
        include_spotify=include_spotify,
        include_demo=include_demo,
        only=source,
        wanted=sources,
    )
    data = training_interactions(library, slices=slices, sources=chosen)
    if kcore > 1:
        data = data.kcore(kcore)
    train_data, cases, protocol = holdout(data, seed=config.seed)
    validator = None
    if cases:
        from assistant.ml.evaluate import make_validator

        validator = make_validator(cases)
    else:
        train_data = data
    if validator is None:
        config = TrainConfig.from_dict({**config.to_dict(), "monitor": "loss"})
    return data, train_data, validator, cases, protocol, tuple(chosen), config


def _train_distributed(
    library_path: Path,
    config: TrainConfig,
    *,
    out_path: Path | None,
    report: ProgressCallback | None,
    cancel: CancelToken | None,
    kcore: int,
    source: str | None,
    slices: int | None,
    options: dict[str, Any],
) -> TrainOutcome:
    """One torchrun process: rank 0 runs the usual job (saves, records, reports); the
    others build the same data from the library (read only) and train their shards."""
    from assistant.ml.distributed import World
    from assistant.ml.train import train

    world = World.from_env(config.device)
    try:
        if world.is_main:
            return train_on_library(
                library_path,
                config,
                out_path=out_path,
                report=report,
                cancel=cancel,
                kcore=kcore,
                source=source,
                slices=slices,
                world=world,
                **options,
            )
        with Library(library_path) as library:
            options.pop("compare_with", None)
            _, train_data, validator, _, _, _, config = _training_data(
                library, config, kcore, source, slices, **options
            )
        result = train(train_data, config, validator=validator, cancel=cancel, world=world)
        return TrainOutcome(
            checkpoint_path=Path(),
            metrics=result.metrics,
            history=result.history,
            run_id=-1,
            model=config.model,
            best_epoch=result.best_epoch,
            device=result.device,
            seconds=result.seconds,
            rank=world.rank,
        )
    finally:
        world.close()


def train_in_child(
    library_path: Path,
    fields: dict[str, Any],
    out_path: Path | None,
    *,
    report: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> SimpleNamespace:
    """What the training child runs (``run_in_process("assistant.jobs.training:train_in_child")``:
    the parent names it, so only the child imports the training code). The outcome goes
    back as plain data (unpickling the core's own class would make the parent import the
    training modules)."""
    fields = dict(fields)
    # Which sources to train on, and the model to compare with, travel with the form's
    # fields (see TrainDialog.source_options).
    options: dict[str, Any] = {k: bool(fields.pop(k)) for k in SOURCE_OPTIONS if k in fields}
    if fields.get("compare_with"):
        options["compare_with"] = str(fields.pop("compare_with"))
    fields.pop("compare_with", None)
    if fields.get("sources") is not None:
        options["sources"] = tuple(fields.pop("sources"))
    fields.pop("sources", None)
    outcome = train_on_library(
        library_path,
        TrainConfig(**fields),
        out_path=out_path,
        report=report,
        cancel=cancel,
        **options,
    )
    plain = {f.name: getattr(outcome, f.name) for f in dataclasses.fields(outcome)}
    # JSON round trip: paths and numpy numbers become plain str/float.
    return SimpleNamespace(**json.loads(json.dumps(plain, default=_plain)))


def _plain(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)
