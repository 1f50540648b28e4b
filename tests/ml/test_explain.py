"""Explanations add up: bias + Σ contribution == the score of the model's forward pass."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from assistant.ml.recommend import RecommenderService
from assistant.ml.train import build_model, popularity_scores, scorer_of
from tests.ml.test_models import tiny_config, tiny_data

VARIANTS = [
    ("lightgcn", {}),
    ("gat", {}),
    ("gat", {"cosine": False}),
    ("gat-mlp", {}),
    ("gat-mlp", {"positional": True, "learnable_alpha": False}),
    ("sage", {}),
]


@pytest.mark.parametrize(("name", "options"), VARIANTS)
def test_explanations_sum_to_the_forward_score(name: str, options: dict) -> None:
    data = tiny_data()
    torch.manual_seed(2)
    model = build_model(data, tiny_config(name, **options), torch.device("cpu")).eval()
    if options.get("positional"):
        torch.nn.init.normal_(model.pos_emb.weight, std=0.1)  # make positions matter
    if name != "lightgcn":
        torch.nn.init.normal_(model.bias.weight, std=0.5)  # non-zero biases
    service = RecommenderService.from_scorer(scorer_of(model, data, popularity_scores(data)))
    seeds = [0, 7, 3, 12]
    with torch.no_grad():
        forward = model(torch.tensor(seeds), torch.zeros(4, dtype=torch.long), 1, torch.arange(4))[
            0
        ].numpy()
    result = service.recommend([data.track_uris[i] for i in seeds], k=10)
    assert len(result.recommendations) == 10
    for rec in result.recommendations:
        t = data.track_index[rec.track_uri]
        assert rec.score == pytest.approx(float(forward[t]), abs=1e-4)
        total = rec.bias + sum(r.contribution for r in rec.reasons)
        assert total == pytest.approx(rec.score, abs=1e-4)
        assert {r.neighbor_uri for r in rec.reasons} == {data.track_uris[i] for i in seeds}
        assert sum(r.attention for r in rec.reasons) == pytest.approx(1.0, abs=1e-5)
    if name == "lightgcn":
        rec = result.recommendations[0]
        assert rec.bias == 0.0
        assert all(r.attention == pytest.approx(0.25) for r in rec.reasons)


def test_random_service_explains_exactly() -> None:
    service = RecommenderService.random(2_000, dim=32, heads=4, seed=3)
    result = service.recommend(service.track_uris[:25], k=20)
    for rec in result.recommendations:
        total = rec.bias + sum(r.contribution for r in rec.reasons)
        assert total == pytest.approx(rec.score, abs=1e-4)
    scores = np.array([r.score for r in result.recommendations])
    assert (np.diff(scores) <= 0).all()


@pytest.mark.parametrize("name", ["lightgcn", "gat", "gat-mlp"])
def test_seeds_without_training_edges_get_no_weight(name: str) -> None:
    from assistant.ml.graph import Interactions
    from assistant.ml.train import without_rows

    base = tiny_data()
    lists = [[base.track_uris[t] for t in base.row(i)] for i in range(base.n_playlists)]
    lists.append(["spotify:track:new0", "spotify:track:new1"])
    # The last playlist's tracks stay in the vocabulary but have no edge (never trained on).
    data = without_rows(Interactions.from_lists(lists), np.array([len(lists) - 1]))
    new = [data.track_index["spotify:track:new0"], data.track_index["spotify:track:new1"]]
    torch.manual_seed(2)
    model = build_model(data, tiny_config(name), torch.device("cpu")).eval()
    if name != "lightgcn":
        torch.nn.init.normal_(model.bias.weight, std=0.5)
    service = RecommenderService.from_scorer(scorer_of(model, data, popularity_scores(data)))
    seeds = [0, new[0], 7, new[1]]
    with torch.no_grad():
        forward = model(torch.tensor(seeds), torch.zeros(4, dtype=torch.long), 1)[0].numpy()
    result = service.recommend([data.track_uris[i] for i in seeds], k=10)
    for rec in result.recommendations:
        assert rec.score == pytest.approx(float(forward[data.track_index[rec.track_uri]]), abs=1e-4)
        assert rec.bias + sum(r.contribution for r in rec.reasons) == pytest.approx(
            rec.score, abs=1e-4
        )
        weights = {r.neighbor_uri: (r.attention, r.contribution) for r in rec.reasons}
        for t in new:
            assert weights[data.track_uris[t]] == (0.0, 0.0)
        assert sum(a for a, _ in weights.values()) == pytest.approx(1.0, abs=1e-5)
    # Only never-trained seeds: no information, the scores are the biases alone.
    only_new = service.recommend([data.track_uris[t] for t in new], k=5)
    for rec in only_new.recommendations:
        assert rec.score == pytest.approx(rec.bias, abs=1e-6)
        assert all(r.contribution == 0.0 for r in rec.reasons)
