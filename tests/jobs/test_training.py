"""train_on_library: a real SQLite library, a real (tiny) training, atomic checkpoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.domain import Playlist, Track
from assistant.errors import Cancelled, TrainingError
from assistant.jobs.training import train_on_library
from assistant.ml.recommend import RecommenderService
from assistant.ml.train import TrainConfig
from assistant.progress import CancelToken, Progress
from assistant.store.library import Library

# Every test here trains a model.
pytestmark = pytest.mark.slow


def make_library(path: Path, n_playlists: int = 40, seed: int = 0) -> Path:
    """Playlists of 8 tracks drawn from one of three 20-track clusters (3 artists each)."""
    rng = np.random.default_rng(seed)
    tracks = [
        Track(
            f"spotify:track:c{c}t{j}",
            f"Song {c}-{j}",
            f"spotify:artist:a{c}{j % 3}",
            f"Artist {c}{j % 3}",
        )
        for c in range(3)
        for j in range(20)
    ]
    with Library(path) as library:
        for i in range(n_playlists):
            uris = [f"spotify:track:c{i % 3}t{j}" for j in rng.choice(20, 8, replace=False)]
            library.save_playlist(
                Playlist(f"mix {i}", uris, source="file", source_ref=f"p{i}"), tracks
            )
    return path


def tiny(**kw: object) -> TrainConfig:
    base = dict(model="gat-mlp", dim=16, heads=2, epochs=3, batch_size=16, device="cpu")
    base.update(kw)
    return TrainConfig(**base)  # type: ignore[arg-type]


def test_trains_saves_registers_and_logs_epochs(tmp_path: Path) -> None:
    lib = make_library(tmp_path / "lib.sqlite")
    events: list[Progress] = []
    out = train_on_library(lib, tiny(), out_path=tmp_path / "m.ckpt", report=events.append)
    assert out.checkpoint_path.exists()
    assert "ndcg" in out.metrics and len(out.history) >= 1
    service = RecommenderService.load(out.checkpoint_path)
    assert service.model_name == "gat-mlp" and service.n_tracks == 60
    with Library(lib) as library:
        run = library.training_runs()[0]
        assert run.status == "finished" and run.checkpoint_path == str(out.checkpoint_path)
        epochs = library.training_epochs(out.run_id)
        assert [e["epoch"] for e in epochs] == [h["epoch"] for h in out.history]
        assert "ndcg" in epochs[0]
        assert library.checkpoints()[0].path == str(out.checkpoint_path)
    per_epoch = [e for e in events if "ndcg" in e.metrics]
    assert per_epoch and per_epoch[0].stage == "train" and per_epoch[0].unit == "epochs"


def test_cancel_leaves_the_previous_checkpoint_byte_identical(tmp_path: Path) -> None:
    lib = make_library(tmp_path / "lib.sqlite")
    target = tmp_path / "m.ckpt"
    train_on_library(lib, tiny(epochs=1), out_path=target)
    before = target.read_bytes()
    token = CancelToken()

    def cancel_after_first_epoch(event: Progress) -> None:
        if "seconds" in event.metrics:
            token.cancel()

    with pytest.raises(Cancelled):
        train_on_library(
            lib,
            tiny(epochs=5, seed=9),
            out_path=target,
            report=cancel_after_first_epoch,
            cancel=token,
        )
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".sqlite-wal") == sorted(
        p.name for p in tmp_path.iterdir() if p.suffix != ".sqlite-wal"
    )
    assert not list(tmp_path.glob("*.tmp"))
    with Library(lib) as library:
        assert library.training_runs()[0].status == "cancelled"


def test_divergence_fails_cleanly_and_keeps_the_old_file(tmp_path: Path) -> None:
    lib = make_library(tmp_path / "lib.sqlite")
    target = tmp_path / "m.ckpt"
    target.write_bytes(b"previous model")
    with pytest.raises(TrainingError):
        train_on_library(
            lib, tiny(model="lightgcn", lr=1e30, epochs=4, batch_size=8), out_path=target
        )
    assert target.read_bytes() == b"previous model"
    with Library(lib) as library:
        run = library.training_runs()[0]
        assert run.status == "failed" and "NaN" in run.message
