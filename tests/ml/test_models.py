"""Shapes and forward-pass consistency of every GNN recommender on a tiny graph."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from assistant.ml.graph import Interactions
from assistant.ml.models import TRACK_ONLY_ARCHITECTURES, ModelSpec
from assistant.ml.train import TrainConfig, build_model, popularity_scores, scorer_of


def tiny_data(n_playlists: int = 60, seed: int = 0) -> Interactions:
    """Three clusters of 20 tracks; each playlist draws 8 tracks from one cluster."""
    rng = np.random.default_rng(seed)
    lists = [
        [f"spotify:track:c{i % 3}t{j}" for j in rng.choice(20, 8, replace=False)]
        for i in range(n_playlists)
    ]
    return Interactions.from_lists(lists)


def tiny_config(model: str, **kw: object) -> TrainConfig:
    base = dict(model=model, dim=16, heads=2, epochs=6, batch_size=16, device="cpu", lr=1e-2)
    base.update(kw)
    return TrainConfig(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", TRACK_ONLY_ARCHITECTURES)
def test_forward_shapes_and_attention(name: str) -> None:
    data = tiny_data()
    torch.manual_seed(0)
    model = build_model(data, tiny_config(name), torch.device("cpu"))
    seeds = torch.tensor([0, 1, 2, 5, 7])
    batch = torch.tensor([0, 0, 0, 1, 1])
    scores = model(seeds, batch, 2, torch.tensor([0, 1, 2, 0, 1]))
    assert scores.shape == (2, data.n_tracks)
    h = model.track_representations()
    assert h.shape == (data.n_tracks, 16)
    _, alpha = model.readout(h, seeds, batch, 2)
    heads = 2 if name != "lightgcn" else 1
    assert alpha.shape == (5, heads)
    # attention over each query's seeds sums to one, per head
    assert torch.allclose(alpha[:3].sum(0), torch.ones(heads), atol=1e-5)
    assert torch.allclose(alpha[3:].sum(0), torch.ones(heads), atol=1e-5)


@pytest.mark.parametrize("name", TRACK_ONLY_ARCHITECTURES)
def test_inference_tensors_reproduce_the_forward_pass(name: str) -> None:
    data = tiny_data()
    torch.manual_seed(1)
    model = build_model(data, tiny_config(name), torch.device("cpu")).eval()
    scorer = scorer_of(model, data, popularity_scores(data))
    with torch.no_grad():
        forward = model(torch.tensor([3, 9, 4]), torch.tensor([0, 0, 0]), 1)
    fast = scorer.score([np.array([3, 9, 4])])
    assert fast.shape == (1, data.n_tracks) and fast.dtype == np.float32
    np.testing.assert_allclose(fast[0], forward[0].numpy(), atol=1e-4)


def test_cosine_scores_are_bounded_by_the_temperature() -> None:
    data = tiny_data()
    model = build_model(data, tiny_config("gat"), torch.device("cpu"))
    with torch.no_grad():
        model.track_emb.weight.mul_(1e6)  # drift: huge embeddings
        model.gat.lin.weight.mul_(1e3)
        scores = model(torch.tensor([0, 1]), torch.tensor([0, 0]), 1)
        bound = float(model.tau()) + 1e-3
        worst = float((scores - model.biases()).abs().max())
    assert worst <= bound


def test_unknown_architecture_is_refused() -> None:
    from assistant.errors import InputError

    with pytest.raises(InputError):
        ModelSpec(name="transformer", n_playlists=1, n_tracks=1)
