"""Baselines fitted on tiny graphs: they find the obvious continuation."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.errors import InputError
from assistant.ml.base import Scorer
from assistant.ml.baselines import (
    fit_baseline,
    fit_cooccurrence,
    fit_ease,
    fit_ials,
    fit_popularity,
    tune_ease,
    tune_ials,
)
from assistant.ml.evaluate import evaluate, make_validator
from assistant.ml.graph import Interactions
from assistant.ml.split import Case

# Two "genres": tracks a* always appear together, tracks b* too; "hit" is everywhere.
LISTS = [
    ["a1", "a2", "a3", "hit"],
    ["a1", "a2", "a3"],
    ["a2", "a3", "a1", "hit"],
    ["b1", "b2", "b3", "hit"],
    ["b1", "b2", "b3", "hit"],
    ["b3", "b1", "b2"],
    ["hit", "solo"],
]


def _train() -> Interactions:
    return Interactions.from_lists(LISTS)


def _idx(data: Interactions, *uris: str) -> np.ndarray:
    return np.array([data.track_index[u] for u in uris], dtype=np.int64)


def test_popularity_ranks_by_playlist_count_whatever_the_seeds() -> None:
    data = _train()
    scorer = fit_popularity(data)
    assert isinstance(scorer, Scorer)
    scores = scorer.score([_idx(data, "a1"), np.zeros(0, np.int64)])
    assert scores.shape == (2, data.n_tracks) and scores.dtype == np.float32
    assert int(np.argmax(scores[0])) == data.track_index["hit"]
    assert np.array_equal(scores[0], scores[1])


SMALL_KW: dict[str, dict[str, object]] = {
    "ease": {"lam": 1.0},
    "ials": {"factors": 4, "regularization": 0.01, "alpha": 20.0},
}


@pytest.mark.parametrize("name", ["cooccurrence", "ease", "ials"])
def test_item_models_continue_the_right_genre(name: str) -> None:
    data = _train()
    scorer = fit_baseline(name, data, **SMALL_KW.get(name, {}))
    assert isinstance(scorer, Scorer)
    scores = scorer.score([_idx(data, "a1", "a2"), _idx(data, "b1"), np.zeros(0, np.int64)])
    assert scores.shape == (3, data.n_tracks)
    assert (
        int(
            np.argmax(
                np.where(
                    np.isin(np.arange(data.n_tracks), _idx(data, "a1", "a2")), -np.inf, scores[0]
                )
            )
        )
        == data.track_index["a3"]
    )
    b1 = scores[1].copy()
    b1[data.track_index["b1"]] = -np.inf
    assert set(np.argsort(-b1)[:2].tolist()) == set(_idx(data, "b2", "b3").tolist())
    # No seeds: popularity.
    assert int(np.argmax(scores[2])) == data.track_index["hit"]


def test_cooccurrence_is_cosine_normalised() -> None:
    data = _train()
    sim = fit_cooccurrence(data).similarity.toarray()
    a1, a2, hit = _idx(data, "a1", "a2", "hit")
    assert sim[a1, a2] == pytest.approx(3 / np.sqrt(3 * 3))
    assert sim[a1, hit] == pytest.approx(2 / np.sqrt(3 * 5))  # hit is in 5 playlists
    assert sim[a1, a1] == 0.0


def test_ease_only_models_tracks_seen_twice_and_tunes_on_validation() -> None:
    data = _train()
    scorer = fit_ease(data, lam=1.0)
    assert data.track_index["solo"] not in scorer.items.tolist()
    val = [Case(0, 0, _idx(data, "a1", "a2"), _idx(data, "a3"))]
    best, history = tune_ease(data, make_validator(val), lambdas=(0.5, 5.0))
    assert set(history) == {0.5, 5.0}
    assert best.lam in history
    assert evaluate(best, val)["recall@20"] == 1.0
    with pytest.raises(InputError):
        fit_ease(Interactions.from_lists([["x"], ["y"]]))
    with pytest.raises(InputError):
        fit_baseline("nope", data)


def test_ials_folds_in_seed_sets_in_one_batch_the_same_as_one_by_one() -> None:
    data = _train()
    scorer = fit_ials(data, factors=4, regularization=0.01, alpha=20.0, seed=3)
    queries = [_idx(data, "a1", "a2"), _idx(data, "b1"), _idx(data, "hit", "solo")]
    batch = scorer.score(queries)
    assert batch.shape == (3, data.n_tracks) and batch.dtype == np.float32
    for i, q in enumerate(queries):
        np.testing.assert_allclose(scorer.score([q])[0], batch[i], rtol=1e-5, atol=1e-6)
    # Same seed, same model; a different seed starts elsewhere.
    again = fit_ials(data, factors=4, regularization=0.01, alpha=20.0, seed=3).score(queries)
    np.testing.assert_array_equal(again, batch)
    assert scorer.params == {"factors": 4, "regularization": 0.01, "alpha": 20.0, "iterations": 15}


def test_ials_tunes_on_validation_only_and_keeps_the_best() -> None:
    data = _train()
    val = [Case(0, 0, _idx(data, "b1", "b2"), _idx(data, "b3"))]
    best, history = tune_ials(
        data, make_validator(val), factors=(2, 4), regularizations=(0.01,), alphas=(1.0, 20.0)
    )
    assert list(history) == [
        "factors=2,reg=0.01,alpha=1",
        "factors=2,reg=0.01,alpha=20",
        "factors=4,reg=0.01,alpha=1",
        "factors=4,reg=0.01,alpha=20",
    ]
    best_ndcg = max(m["ndcg"] for m in history.values())
    assert make_validator(val)(best)["ndcg"] == pytest.approx(best_ndcg)
    assert evaluate(best, val)["recall@20"] == 1.0


def test_ials_sets_single_thread_blas_itself_and_refuses_an_empty_graph() -> None:
    import warnings

    import implicit.utils

    implicit.utils._checked_blas_config = False  # implicit warns once per process
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        fit_ials(_train(), factors=2)
    with pytest.raises(InputError, match="iALS needs"):
        fit_ials(Interactions.from_lists([[]]))
