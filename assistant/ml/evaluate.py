"""Scores evaluation cases with any :class:`~assistant.ml.base.Scorer` and averages metrics.

The same code serves early stopping (``make_validator``), the benchmark tables and the
``evaluate`` command, so a number means the same thing everywhere: each case's seeds are
given to the scorer, the seeds are masked out, the top ``n_pred`` (500) tracks are ranked
and every metric of :mod:`assistant.ml.metrics` is computed from that one list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np

from assistant.errors import InputError
from assistant.ml.base import Scorer, top_k
from assistant.ml.metrics import N_PREDICTIONS, NO_CLICK, discounts
from assistant.ml.split import Case


def predict(
    scorer: Scorer, cases: Sequence[Case], *, n: int = N_PREDICTIONS, batch_size: int = 256
) -> np.ndarray:
    """The top ``n`` track indices per case, best first, never a seed.

    Returns:
        int64 array [len(cases), min(n, n_tracks)]. Where the catalog has fewer than ``n``
        non-seed tracks, the tail of a row is -1.
    """
    out: list[np.ndarray] = []
    for start in range(0, len(cases), batch_size):
        batch = cases[start : start + batch_size]
        seeds = [np.asarray(c.seeds, dtype=np.int64) for c in batch]
        if getattr(scorer, "uses_names", False):  # the content model reads playlist names
            raw = scorer.score(seeds, names=[c.name for c in batch])  # type: ignore[call-arg]
        else:
            raw = scorer.score(seeds)
        scores = np.asarray(raw, dtype=np.float32)
        ranked = top_k(scores, n, exclude=seeds)
        for i, s in enumerate(seeds):
            if len(s):
                # top_k only pushes seeds to -inf; when k exceeds the non-seed tracks
                # they would still come back at the end of the list.
                ranked[i, np.isin(ranked[i], s)] = -1
        out.append(ranked)
    if not out:
        return np.zeros((0, n), dtype=np.int64)
    return np.concatenate(out).astype(np.int64)


def case_results(
    scorer: Scorer,
    cases: Sequence[Case],
    *,
    ks: Sequence[int] = (20, 50, 300),
    n_pred: int = N_PREDICTIONS,
    batch_size: int = 256,
) -> tuple[list[Case], dict[str, np.ndarray]]:
    """Per-case metrics.

    Cases without targets (official challenge-set cases) are skipped.

    Returns:
        (the scored cases, {metric name: float64 array, one value per scored case}).
    """
    scored = [c for c in cases if len(c.targets)]
    ranked = predict(scorer, scored, n=max(n_pred, *ks), batch_size=batch_size)
    return scored, metrics_from_rankings(scored, ranked, ks=ks, n_pred=n_pred)


def metrics_from_rankings(
    cases: Sequence[Case],
    ranked: np.ndarray | Sequence[Sequence[int]],
    *,
    ks: Sequence[int] = (20, 50, 300),
    n_pred: int = N_PREDICTIONS,
) -> dict[str, np.ndarray]:
    """Per-case metrics of given rankings (e.g. from a checkpoint queried by track URI).

    Args:
        cases: cases with targets, one per ranking.
        ranked: per case, track indices best first (-1 = padding, never relevant); a
            shorter list simply has fewer chances to hit.

    Returns:
        {metric name: float64 array, one value per case}.
    """
    n = len(cases)
    result: dict[str, np.ndarray] = {f"recall@{k}": np.zeros(n) for k in ks}
    result.update(r_precision=np.zeros(n), ndcg=np.zeros(n), clicks=np.full(n, float(NO_CLICK)))
    weights = discounts(n_pred)
    ideal = np.cumsum(weights)
    for i, case in enumerate(cases):
        targets = np.unique(case.targets)
        n_t = len(targets)
        if n_t == 0:
            continue
        hits = np.isin(np.asarray(ranked[i], dtype=np.int64), targets)
        for k in ks:
            result[f"recall@{k}"][i] = hits[:k].sum() / n_t
        top = hits[:n_pred]
        result["r_precision"][i] = top[:n_t].sum() / n_t
        result["ndcg"][i] = (weights[: len(top)] * top).sum() / ideal[min(n_t, n_pred) - 1]
        first = np.flatnonzero(top)
        if len(first):
            result["clicks"][i] = first[0] // 10
    return result


def summarize(metrics: dict[str, np.ndarray]) -> dict[str, float]:
    """Means of per-case metrics, plus ``cases`` (how many)."""
    out = {name: float(values.mean()) if len(values) else 0.0 for name, values in metrics.items()}
    out["cases"] = float(len(next(iter(metrics.values()))))
    return out


def evaluate(
    scorer: Scorer,
    cases: Sequence[Case],
    *,
    ks: Sequence[int] = (20, 50, 300),
    n_pred: int = N_PREDICTIONS,
    batch_size: int = 256,
) -> dict[str, float]:
    """Mean metrics over the cases.

    Returns:
        ``recall@K`` for each K, ``r_precision``, ``ndcg``, ``clicks`` (means) and
        ``cases`` (how many cases had targets and were scored).

    Raises:
        InputError: no case has targets.
    """
    scored, metrics = case_results(scorer, cases, ks=ks, n_pred=n_pred, batch_size=batch_size)
    if not scored:
        raise InputError(
            "There is nothing to evaluate: no case has held-out tracks.",
            hint="Use a larger library or a split that holds out tracks.",
        )
    return summarize(metrics)


def evaluate_by_category(
    scorer: Scorer,
    cases: Sequence[Case],
    *,
    ks: Sequence[int] = (20, 50, 300),
    n_pred: int = N_PREDICTIONS,
    batch_size: int = 256,
) -> dict[str, dict[str, float]]:
    """Mean metrics per case category (e.g. ``first-5``), plus ``"all"``."""
    scored, metrics = case_results(scorer, cases, ks=ks, n_pred=n_pred, batch_size=batch_size)
    groups: dict[str, list[int]] = defaultdict(list)
    for i, case in enumerate(scored):
        groups[case.category or "-"].append(i)
    out = {
        cat: summarize({name: values[idx] for name, values in metrics.items()})
        for cat, idx in sorted(groups.items())
    }
    if scored:
        out["all"] = summarize(metrics)
    return out


def make_validator(cases: Sequence[Case], **kw: object) -> Callable[[Scorer], dict[str, float]]:
    """A function that evaluates a scorer on fixed cases (for early stopping).

    Keyword arguments go to :func:`evaluate` (``ks``, ``n_pred``, ``batch_size``).
    """
    frozen = list(cases)

    def validate(scorer: Scorer) -> dict[str, float]:
        return evaluate(scorer, frozen, **kw)  # type: ignore[arg-type]

    return validate
