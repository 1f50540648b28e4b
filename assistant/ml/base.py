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
