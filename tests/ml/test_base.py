"""The exact top-k selection every recommend call uses."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.ml.base import best_indices


def _same_set(scores: np.ndarray, k: int) -> None:
    got = best_indices(scores, k)
    assert len(got) == min(k, len(scores)) == len(np.unique(got))
    # Exact: the k-th best value matches and nothing outside beats anything inside.
    expected = np.sort(scores)[::-1][: len(got)]
    assert np.array_equal(np.sort(scores[got])[::-1], expected)


@pytest.mark.parametrize("n", [10, 5_000, 200_000, 600_000])
@pytest.mark.parametrize("k", [1, 50, 1000])
def test_best_indices_is_the_exact_top_k(n: int, k: int) -> None:
    rng = np.random.default_rng(n + k)
    scores = rng.normal(size=n).astype(np.float32)
    scores[rng.choice(n, size=n // 10, replace=False)] = -np.inf  # banned tracks
    _same_set(scores, k)


def test_best_indices_when_the_sample_misjudges_and_with_ties() -> None:
    # Sorted scores put the best tracks between the strided samples' picks; ties at the
    # boundary; a catalogue where the best are all off the sample grid.
    n = 400_000
    _same_set(np.arange(n, dtype=np.float32), 1000)
    _same_set(np.repeat(np.arange(n // 100, dtype=np.float32), 100), 1000)
    off_grid = np.zeros(n, dtype=np.float32)
    off_grid[1::20] = 1.0  # never sampled (the sample is every 20th from 0)
    off_grid[::20] = -1.0
    _same_set(off_grid, 1000)
    assert len(best_indices(np.zeros(0, dtype=np.float32), 5)) == 0
    assert len(best_indices(np.ones(3, dtype=np.float32), 0)) == 0
