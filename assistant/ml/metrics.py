"""Ranking metrics: the study's Recall@K and the RecSys Challenge 2018 metrics.

All functions take one ranked prediction list (track indices, best first, no duplicates)
and the set of relevant tracks ``G`` (the hidden targets), and return one playlist's
value; :mod:`assistant.ml.evaluate` averages them.

Definitions (the challenge's rules page, https://recsys-challenge.spotify.com/rules, with
``R`` the ranked list of at most 500 predictions, positions ``i`` counted from 1):

* R-precision = |G ∩ R[1:|G|]| / |G|. The official scorer also gave 0.25 credit for a
  wrong track by a right artist; we report the *track-level* R-precision only (our
  vocabulary has no artist for every track, and track-level is the stricter number).
* NDCG = DCG / IDCG with rel_i ∈ {0, 1}, DCG = rel_1 + Σ_{i≥2} rel_i / log2(i), and IDCG
  the DCG of a perfect list of min(|G|, |R|) relevant tracks. This is the challenge's
  discount (position 1 and 2 both weigh 1), not the textbook 1/log2(i + 1); the first
  version of the rules normalised by |G ∩ R| instead of |G|, which rewards a single lucky
  hit with 1.0, and was corrected to |G|.
* Recommended songs clicks = floor((i₁ − 1) / 10), i₁ the position of the first relevant
  track (= floor of its 0-based index / 10), and 51 when none of the 500 is relevant (the
  rules' value: one more than the 50 pages of 10 predictions).
* A playlist with no prediction at all scores worst: R-precision 0, NDCG 0, clicks 51.

Recall@K (the reference study): |R[1:K] ∩ G| / |G| over a full ranking of the catalog.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

NO_CLICK = 51  # clicks when no relevant track is among the predictions
N_PREDICTIONS = 500  # the challenge's list length


def _hits(ranked: Sequence[int] | np.ndarray, targets: Sequence[int] | np.ndarray) -> np.ndarray:
    """Boolean relevance of each ranked item."""
    ranked = np.asarray(ranked, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    return np.isin(ranked, targets)


def recall_at_k(
    ranked: Sequence[int] | np.ndarray, targets: Sequence[int] | np.ndarray, k: int
) -> float:
    """|top-k ∩ targets| / |targets| (0.0 when there are no targets)."""
    n_targets = len(np.unique(np.asarray(targets)))
    if n_targets == 0:
        return 0.0
    return float(_hits(np.asarray(ranked)[:k], targets).sum()) / n_targets


def r_precision(ranked: Sequence[int] | np.ndarray, targets: Sequence[int] | np.ndarray) -> float:
    """Track-level R-precision: relevant tracks among the first |G| predictions, over |G|."""
    n_targets = len(np.unique(np.asarray(targets)))
    if n_targets == 0:
        return 0.0
    return float(_hits(np.asarray(ranked)[:n_targets], targets).sum()) / n_targets


def discounts(n: int) -> np.ndarray:
    """The challenge's discount per position 1..n: 1 at position 1, 1/log2(i) after."""
    positions = np.arange(1, n + 1, dtype=np.float64)
    d = np.ones(n, dtype=np.float64)
    d[1:] = 1.0 / np.log2(positions[1:])
    return d


def ndcg(
    ranked: Sequence[int] | np.ndarray,
    targets: Sequence[int] | np.ndarray,
    n_pred: int = N_PREDICTIONS,
) -> float:
    """The challenge's NDCG over the first ``n_pred`` predictions (0.0 when none is relevant)."""
    ranked = np.asarray(ranked)[:n_pred]
    n_targets = len(np.unique(np.asarray(targets)))
    if n_targets == 0 or len(ranked) == 0:
        return 0.0
    hits = _hits(ranked, targets)
    dcg = float((discounts(len(ranked)) * hits).sum())
    idcg = float(discounts(min(n_targets, n_pred)).sum())
    return dcg / idcg


def clicks(
    ranked: Sequence[int] | np.ndarray,
    targets: Sequence[int] | np.ndarray,
    n_pred: int = N_PREDICTIONS,
) -> int:
    """Recommended songs clicks: floor(0-based index of the first hit / 10); 51 if none."""
    hits = np.flatnonzero(_hits(np.asarray(ranked)[:n_pred], targets))
    if len(hits) == 0:
        return NO_CLICK
    return int(hits[0] // 10)


def case_metrics(
    ranked: Sequence[int] | np.ndarray,
    targets: Sequence[int] | np.ndarray,
    ks: Sequence[int] = (20, 50, 300),
    n_pred: int = N_PREDICTIONS,
) -> dict[str, float]:
    """Every metric for one playlist: ``recall@K`` per K, ``r_precision``, ``ndcg``, ``clicks``."""
    ranked = np.asarray(ranked, dtype=np.int64)
    out = {f"recall@{k}": recall_at_k(ranked, targets, k) for k in ks}
    out["r_precision"] = r_precision(ranked[:n_pred], targets)
    out["ndcg"] = ndcg(ranked, targets, n_pred)
    out["clicks"] = float(clicks(ranked, targets, n_pred))
    return out
