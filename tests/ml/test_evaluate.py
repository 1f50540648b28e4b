"""evaluate() on fixed scorers whose metrics can be worked out by hand."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from assistant.errors import InputError
from assistant.ml.evaluate import evaluate, evaluate_by_category, make_validator, predict
from assistant.ml.split import Case


class FixedScorer:
    """Scores track j as n_tracks - j: the ranking is 0, 1, 2, ... for every query."""

    name = "fixed"

    def __init__(self, n_tracks: int) -> None:
        self.n_tracks = n_tracks

    def score(self, seeds: Sequence[np.ndarray]) -> np.ndarray:
        row = np.arange(self.n_tracks, 0, -1, dtype=np.float32)
        return np.tile(row, (len(seeds), 1))


def _case(seeds: list[int], targets: list[int], category: str = "c") -> Case:
    return Case(0, 1, np.array(seeds, dtype=np.int64), np.array(targets, dtype=np.int64), category)


def test_evaluate_masks_seeds_and_averages() -> None:
    scorer = FixedScorer(1000)
    # Seeds 0 and 1 are masked: the ranking starts 2, 3, 4, ...; target 2 is first.
    a = _case([0, 1], [2])
    # Target 25 is at 0-based index 25 - 0 = 25 (no seeds) -> clicks 2, recall@20 0.
    b = _case([], [25, 2000 - 1001])  # 999 is ranked 999th: beyond 500
    m = evaluate(scorer, [a, b], ks=(20, 50))
    assert m["cases"] == 2
    assert m["recall@20"] == pytest.approx((1.0 + 0.0) / 2)
    assert m["recall@50"] == pytest.approx((1.0 + 0.5) / 2)
    assert m["r_precision"] == pytest.approx((1.0 + 0.0) / 2)
    assert m["clicks"] == pytest.approx((0 + 2) / 2)
    ndcg_b = (1 / np.log2(26)) / (1 + 1)
    assert m["ndcg"] == pytest.approx((1.0 + ndcg_b) / 2)


def test_evaluate_skips_cases_without_targets_and_refuses_none() -> None:
    scorer = FixedScorer(50)
    m = evaluate(scorer, [_case([1], [0]), _case([1], [])])
    assert m["cases"] == 1
    with pytest.raises(InputError):
        evaluate(scorer, [_case([1], [])])


def test_predict_never_returns_a_seed_even_in_a_tiny_catalog() -> None:
    ranked = predict(FixedScorer(5), [_case([0, 3], [1])], n=500)
    assert ranked.shape == (1, 5)
    assert ranked[0].tolist() == [1, 2, 4, -1, -1]


def test_by_category_and_validator_agree_with_evaluate() -> None:
    scorer = FixedScorer(100)
    cases = [_case([], [0], "first-1"), _case([], [60], "first-5"), _case([], [5], "first-5")]
    by_cat = evaluate_by_category(scorer, cases, ks=(20,), batch_size=2)
    assert by_cat["first-1"]["recall@20"] == 1.0
    assert by_cat["first-5"]["recall@20"] == 0.5
    assert by_cat["first-5"]["cases"] == 2
    assert make_validator(cases, ks=(20,))(scorer) == evaluate(scorer, cases, ks=(20,))
    assert by_cat["all"] == evaluate(scorer, cases, ks=(20,))
