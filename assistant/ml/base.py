"""The interface every recommender shares: GNNs, baselines, EASE, ALS.

A scorer is fitted on an :class:`~assistant.ml.graph.Interactions` training graph and then
scores *seed sets*: lists of known track indices. Scoring by seeds (fold-in) is what lets the
app recommend for playlists the model never saw, and it is how both evaluation protocols
query every model, so the comparison is like for like.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Scorer(Protocol):
    """Something that scores every track of the vocabulary for a batch of seed sets."""

    name: str

    def score(self, seeds: Sequence[np.ndarray]) -> np.ndarray:
        """Scores of every track for each seed set.

        Args:
            seeds: one int64 array of track indices per query (may be empty: then the
                scorer falls back to what it knows without seeds, e.g. popularity).

        Returns:
            float32 array [len(seeds), n_tracks]; higher is better. The caller masks the
            seeds themselves out of the ranking.
        """
        ...


def top_k(scores: np.ndarray, k: int, exclude: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """Indices of the k best tracks per row, best first, never an excluded one.

    Args:
        scores: float array [B, n_tracks] (not modified).
        k: how many per row (clipped to n_tracks).
        exclude: per row, track indices that must not be returned (the seeds).
    """
    scores = np.array(scores, dtype=np.float32, copy=True)
    if exclude is not None:
        for i, ex in enumerate(exclude):
            if len(ex):
                scores[i, ex] = -np.inf
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.take_along_axis(scores, part, axis=1).argsort(axis=1)[:, ::-1]
    return np.take_along_axis(part, order, axis=1)


# A sample of 1/SAMPLE_STRIDE of the scores estimates the k-th best score; one comparison
# pass then keeps ~THRESHOLD_MARGIN × k candidates for the exact selection.
SAMPLE_STRIDE = 20
THRESHOLD_MARGIN = 2


def best_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest of a 1-D array, in no particular order (exact).

    ``np.argpartition`` over a whole catalogue (2.26M tracks) costs ~35 ms on this CPU,
    as much as scoring it. Here a strided sample gives a threshold below which the k
    best cannot lie in expectation; one vectorised comparison keeps the scores above it
    (~2k of them) and the partition runs over those. When fewer than ``k`` pass (a
    sample that misjudged), the whole array is partitioned: the answer is always the
    exact top k; only the time depends on the sample.
    """
    n = len(scores)
    k = min(k, n)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if n >= 4 * SAMPLE_STRIDE * THRESHOLD_MARGIN * k:
        sample = scores[::SAMPLE_STRIDE]
        j = min(len(sample), -(-k * THRESHOLD_MARGIN // SAMPLE_STRIDE))
        threshold = np.partition(sample, len(sample) - j)[len(sample) - j]
        kept = np.flatnonzero(scores >= threshold)
        if len(kept) >= k:
            return kept[np.argpartition(-scores[kept], k - 1)[:k]]
    return np.argpartition(-scores, k - 1)[:k]
