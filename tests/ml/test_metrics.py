"""The challenge metrics on hand-computed examples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assistant.ml.metrics import NO_CLICK, case_metrics, clicks, ndcg, r_precision, recall_at_k


def test_recall_at_k_counts_hits_in_the_first_k_over_all_targets() -> None:
    ranked = [5, 8, 13, 3, 99]
    targets = [1, 2, 3, 5, 8, 99]
    assert recall_at_k(ranked, targets, 2) == pytest.approx(2 / 6)
    assert recall_at_k(ranked, targets, 5) == pytest.approx(4 / 6)
    assert recall_at_k([], targets, 10) == 0.0


def test_r_precision_only_looks_at_the_first_len_targets() -> None:
    targets = [1, 2, 3, 5, 8, 99]
    # First 6 predictions: 5, 8, 13, 3, 99, 87 -> 4 relevant.
    assert r_precision([5, 8, 13, 3, 99, 87, 2, 150], targets) == pytest.approx(4 / 6)
    # Only 4 predictions: 5, 8, 3 relevant.
    assert r_precision([5, 8, 13, 3], targets) == pytest.approx(3 / 6)
    assert r_precision([], targets) == 0.0


def test_ndcg_uses_the_challenge_discount_and_ideal_over_all_targets() -> None:
    targets = [1, 2, 3]
    # Hits at positions 1 and 3: DCG = 1 + 1/log2(3); ideal of 3: 1 + 1/log2(2) + 1/log2(3).
    dcg = 1 + 1 / math.log2(3)
    idcg = 1 + 1 + 1 / math.log2(3)
    assert ndcg([1, 7, 2, 9], targets) == pytest.approx(dcg / idcg)
    # Position 2 weighs 1 (rel_1 + rel_2/log2(2)).
    assert ndcg([7, 1], [1]) == pytest.approx(1.0)
    assert ndcg([1, 2, 3], targets) == pytest.approx(1.0)
    assert ndcg([7, 8], targets) == 0.0
    assert ndcg([], targets) == 0.0


def test_clicks_pages_of_ten_and_51_when_nothing_is_found() -> None:
    ranked = list(range(500))
    assert clicks(ranked, [0]) == 0
    assert clicks(ranked, [9]) == 0
    assert clicks(ranked, [10]) == 1
    assert clicks(ranked, [499]) == 49
    assert clicks(ranked, [500]) == NO_CLICK
    assert clicks([], [1]) == NO_CLICK
    # Only the first 500 predictions count.
    assert clicks(list(range(600)), [550]) == NO_CLICK


def test_case_metrics_of_an_empty_answer_is_worst() -> None:
    m = case_metrics(np.zeros(0, dtype=np.int64), [1, 2], ks=(20,))
    assert m == {"recall@20": 0.0, "r_precision": 0.0, "ndcg": 0.0, "clicks": 51.0}
