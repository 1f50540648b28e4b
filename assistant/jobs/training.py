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
    rank: int = 0  # under torchrun: this process's rank (only rank 0 saved and recorded)


def default_checkpoint_path(model: str, folder: Path | None = None) -> Path:
    """A fresh file name for a new checkpoint (default folder: the per-user checkpoints)."""
    return (folder or checkpoints_dir()) / f"{model}-{time.strftime('%Y%m%d-%H%M%S')}.ckpt"


def validation_split(
    data: Interactions, seed: int = 0
) -> tuple[Interactions, Any | None, list[int]]:
    """Holds out ~10% of playlists (at most 500) as RecSys-style validation cases.

    Returns:
        (training graph, validator or None when the library is too small, the held-out
        playlists' ids).
    """
    if data.n_playlists < MIN_PLAYLISTS_FOR_VALIDATION:
        return data, None, []
    import numpy as np

    from assistant.ml.evaluate import make_validator
    from assistant.ml.split import CATEGORIES, CATEGORY_MIN_LENGTH, Case, challenge_split

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
            return split.train, make_validator(split.val), [c.playlist_id for c in split.val]
    # Short playlists only: hold out whole playlists, the first half as seeds.
    rng = np.random.default_rng(seed)
    rows = rng.permutation(np.flatnonzero(lengths >= 2))[:n_val]
    if len(rows) == 0:
        return data, None, []
    cases = []
    for r in rows:
        tracks = data.row(int(r))
        half = len(tracks) // 2
        cases.append(Case(int(r), int(data.playlist_ids[r]), tracks[:half], tracks[half:], "half"))
    keep = np.setdiff1d(np.arange(data.n_playlists), rows)
    return data.select_rows(keep), make_validator(cases), [c.playlist_id for c in cases]


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
        source: train on one source's playlists only ("mpd", "file", "local").
        slices: train on the MPD playlists of the first N slices only (the study: 50).
            Spotify playlists are never trained on (see :mod:`assistant.jobs.training_data`).
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
        )
    out = Path(out_path) if out_path else default_checkpoint_path(config.model)
    with Library(library_path) as library:
        data, train_data, validator, held_out, config = _training_data(
            library, config, kcore, source, slices
        )
        run_id = library.start_training_run(
            model=config.model,
            config=config.to_dict(),
            device=config.device,
            data_fingerprint=library.data_fingerprint(),
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
            info = {
                "playlists": data.n_playlists,
                "tracks": data.n_tracks,
                "edges": data.n_edges,
                "validation_playlists": len(held_out),
                "kcore": kcore,
                "slices": slices,
                "library_fingerprint": library.data_fingerprint(),
            }
            ckpt.save_trained(
                out,
                result,
                data_fingerprint=data.fingerprint(),
                extra={"data": info, "val_playlist_ids": held_out},
            )
        except Cancelled:
            library.finish_training_run(run_id, status="cancelled", message="cancelled")
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
        library.register_checkpoint(
            path=str(out),
            model=config.model,
            metrics=result.metrics,
            config=config.to_dict(),
            data_fingerprint=data.fingerprint(),
            training_run_id=run_id,
        )
        library.finish_training_run(run_id, status="finished", checkpoint_path=str(out))
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
    )


def _training_data(
    library: Library, config: TrainConfig, kcore: int, source: str | None, slices: int | None
) -> tuple[Interactions, Interactions, Any | None, list[int], TrainConfig]:
    """The graph, its training part, the validator, the held-out ids and the config
    (monitoring the loss when there is no validator)."""
    from assistant.jobs.training_data import training_interactions

    data = training_interactions(library, source, slices=slices)
    if kcore > 1:
        data = data.kcore(kcore)
    train_data, validator, held_out = validation_split(data, seed=config.seed)
    if validator is None:
        config = TrainConfig.from_dict({**config.to_dict(), "monitor": "loss"})
    return data, train_data, validator, held_out, config


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
            )
        with Library(library_path) as library:
            _, train_data, validator, _, config = _training_data(
                library, config, kcore, source, slices
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
    outcome = train_on_library(
        library_path, TrainConfig(**fields), out_path=out_path, report=report, cancel=cancel
    )
    plain = {f.name: getattr(outcome, f.name) for f in dataclasses.fields(outcome)}
    # JSON round trip: paths and numpy numbers become plain str/float.
    return SimpleNamespace(**json.loads(json.dumps(plain, default=_plain)))


def _plain(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)
