"""BPR training: loss goes down, seeds reproduce, cancel and NaN stop cleanly, fold-in."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.errors import Cancelled, InputError, TrainingError
from assistant.ml.models import ARCHITECTURES
from assistant.ml.recommend import RecommenderService
from assistant.ml.train import train
from assistant.progress import CancelToken, Progress
from tests.ml.test_models import tiny_config, tiny_data

# Every test here trains a model.
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_loss_decreases(name: str) -> None:
    result = train(tiny_data(), tiny_config(name, epochs=8, negatives="random"))
    losses = [h["loss"] for h in result.history]
    assert len(losses) == 8
    assert np.mean(losses[-2:]) < losses[0]
    assert result.model.name == name
    assert result.device == "cpu"


@pytest.mark.parametrize("options", [{"loss": "softmax"}, {"loss": "bpr", "fold_in": True}])
def test_loss_options_learn(options: dict) -> None:
    result = train(tiny_data(), tiny_config("gat-mlp", epochs=8, **options))
    losses = [h["loss"] for h in result.history]
    assert np.mean(losses[-2:]) < losses[0]


def test_unknown_loss_is_refused() -> None:
    with pytest.raises(InputError):
        train(tiny_data(), tiny_config("gat-mlp", loss="hinge"))


@pytest.mark.parametrize("name", ["lightgcn", "gat-mlp"])
def test_same_seed_same_losses(name: str) -> None:
    config = tiny_config(name, epochs=4, hard_start_epoch=2)
    a = train(tiny_data(), config)
    b = train(tiny_data(), config)
    assert [h["loss"] for h in a.history] == [h["loss"] for h in b.history]
    np.testing.assert_array_equal(
        a.model.score([np.array([1, 2])]), b.model.score([np.array([1, 2])])
    )
    c = train(tiny_data(), tiny_config(name, epochs=4, hard_start_epoch=2, seed=1))
    assert [h["loss"] for h in a.history] != [h["loss"] for h in c.history]


def test_progress_and_early_stopping_keep_the_best_epoch() -> None:
    events: list[Progress] = []
    values = iter([0.1, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0, 0.0])
    result = train(
        tiny_data(),
        tiny_config("gat", epochs=8, patience=2, hard_start_epoch=2),
        validator=lambda scorer: {"ndcg": next(values), "recall@20": 0.0},
        report=events.append,
    )
    assert result.best_epoch == 2
    assert len(result.history) == 4  # epochs 3 and 4 did not improve: stop
    assert result.metrics["ndcg"] == 0.5
    per_epoch = [e for e in events if "ndcg" in e.metrics]
    assert [e.done for e in per_epoch] == [1, 2, 3, 4]
    assert all(e.stage == "train" and e.unit == "epochs" and e.total == 8 for e in per_epoch)
    assert "loss" in per_epoch[0].metrics


def test_cancel_stops_training() -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        train(tiny_data(), tiny_config("gat-mlp"), cancel=token)


def test_divergence_raises_training_error() -> None:
    with pytest.raises(TrainingError, match="NaN or infinite"):
        train(tiny_data(), tiny_config("lightgcn", lr=1e30, epochs=5, batch_size=8))


def test_fold_in_scores_a_playlist_the_model_never_saw() -> None:
    data = tiny_data(90)
    result = train(data, tiny_config("gat-mlp", epochs=15, negatives="random"))
    service = RecommenderService.from_scorer(result.model)
    # a new playlist of cluster-1 tracks: not a row of the training graph
    seeds = [f"spotify:track:c1t{j}" for j in (0, 3, 5, 8, 11)] + ["spotify:track:new"]
    out = service.recommend(seeds, k=10)
    assert out.unknown_seeds == ["spotify:track:new"]
    top = [r.track_uri for r in out.recommendations]
    assert sum(uri.startswith("spotify:track:c1") for uri in top) >= 8
    assert not set(top) & set(seeds)


def test_negatives_draw_what_numpy_choice_draws_and_only_trained_tracks() -> None:
    from assistant.ml.sampling import Negatives

    degrees = np.array([0, 5, 1, 0, 30, 2, 7] * 1000)
    negatives = Negatives.of(degrees, 0.75)
    drawn = negatives.draw(5000, np.random.default_rng(3))
    expected = np.random.default_rng(3).choice(len(degrees), size=5000, p=negatives.q)
    assert np.array_equal(drawn, expected)  # same draws as before the CDF was cached
    assert (degrees[drawn] > 0).all()
    log_q = negatives.log_q(np.array([1, 4]), n_edges=10, n_drawn=100)
    total = degrees.sum()
    want = np.log(10 * degrees[[1, 4]] / total + 100 * negatives.q[[1, 4]])
    assert np.allclose(log_q, want, rtol=1e-6)


# What the accelerator image lacks: the GPU check (tests/benchmarks/gpu_check.sh) must run
# on a machine whose Python holds torch, PyG, numpy and scipy but not the app's own stack.
APP_ONLY = ("sqlite_utils", "platformdirs", "orjson", "spotipy", "implicit", "PySide6")


@pytest.mark.slow
def test_the_gpu_check_needs_only_the_model_stack() -> None:
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys\n"
        f"for name in {APP_ONLY!r}:\n"
        "    sys.modules[name] = None\n"
        "sys.path.insert(0, 'tests/benchmarks')\n"
        "import bench_train_scale, gen_mpd, assistant.ml.train\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
