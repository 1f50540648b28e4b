"""Non-neural baselines behind the same :class:`~assistant.ml.base.Scorer` interface.

Each ``fit_*(train) -> Scorer`` learns from a training graph only and scores seed sets by
fold-in, exactly like the GNNs, so the benchmark tables compare like with like:

* popularity: how many training playlists hold the track;
* item co-occurrence: cosine-normalised item–item counts, summed over the seeds;
* EASE (Steck, 2019): the closed-form linear item–item model, on tracks seen in at least
  two training playlists, with its L2 strength λ chosen on validation cases only
  (:func:`tune_ease`);
* iALS (Hu, Koren & Volinsky, 2008), implicit's ``AlternatingLeastSquares``: a playlist's
  seeds are folded in by the model's own least-squares user solve, factors, L2 and the
  confidence weight α chosen on validation cases only (:func:`tune_ials`).

Every scorer adds a tiny popularity term, so ties (and tracks the model cannot score) are
ranked by popularity and a 500-long list is always full; seedless queries (title only)
get pure popularity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import scipy.sparse as sp

from assistant.errors import InputError
from assistant.ml.graph import Interactions
from assistant.ml.spec import BASELINES


def normalized_popularity(train: Interactions) -> np.ndarray:
    """log(1 + degree), normalised to [0, 1]: a stable tie-breaker and cold-start score."""
    pop = np.log1p(train.track_degrees().astype(np.float32))
    top = float(pop.max()) if len(pop) else 0.0
    return pop / top if top > 0 else pop


def _seed_matrix(
    seeds: Sequence[np.ndarray], n_cols: int, remap: np.ndarray | None = None
) -> sp.csr_matrix:
    """Binary [B, n_cols] matrix of the seed sets (optionally remapped, -1 = dropped)."""
    rows, cols = [], []
    for i, s in enumerate(seeds):
        s = np.asarray(s, dtype=np.int64)
        if remap is not None:
            s = remap[s]
            s = s[s >= 0]
        rows.append(np.full(len(s), i, dtype=np.int64))
        cols.append(s)
    r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    data = np.ones(len(r), dtype=np.float32)
    return sp.csr_matrix((data, (r, c)), shape=(len(seeds), n_cols))


class PopularityScorer:
    """Ranks every track by its training popularity, whatever the seeds."""

    name = "popularity"

    def __init__(self, popularity: np.ndarray) -> None:
        self.popularity = popularity.astype(np.float32)

    def score(self, seeds: Sequence[np.ndarray]) -> np.ndarray:
        return np.broadcast_to(self.popularity, (len(seeds), len(self.popularity))).copy()


class CooccurrenceScorer:
    """Σ over seeds of cosine(seed, track) on the playlist co-occurrence matrix."""

    name = "cooccurrence"

    def __init__(self, similarity: sp.csr_matrix, popularity: np.ndarray) -> None:
        self.similarity = similarity
        self.popularity = popularity.astype(np.float32)

    def score(self, seeds: Sequence[np.ndarray]) -> np.ndarray:
        q = _seed_matrix(seeds, self.similarity.shape[0])
        scores = np.asarray((q @ self.similarity).todense(), dtype=np.float32)
        # 1e-3 · popularity (≤ 1e-3) only breaks ties and fills the list.
        return scores + 1e-3 * self.popularity


class EaseScorer:
    """EASE item–item weights B (zero diagonal) over a subset of frequent tracks."""

    name = "ease"

    def __init__(
        self, weights: np.ndarray, items: np.ndarray, popularity: np.ndarray, lam: float
    ) -> None:
        self.weights = weights.astype(np.float32)
        self.items = items
        self.popularity = popularity.astype(np.float32)
        self.lam = lam
        self.remap = np.full(len(popularity), -1, dtype=np.int64)
        self.remap[items] = np.arange(len(items))

    def score(self, seeds: Sequence[np.ndarray]) -> np.ndarray:
        q = _seed_matrix(seeds, len(self.items), self.remap)
        sub = np.asarray(q @ self.weights, dtype=np.float32)
        scores = np.broadcast_to(1e-3 * self.popularity, (len(seeds), len(self.popularity))).copy()
        # EASE scores can be negative; shift them above the popularity-only tracks.
        scores[:, self.items] += sub + 1.0
        return scores


def fit_popularity(train: Interactions) -> PopularityScorer:
    return PopularityScorer(normalized_popularity(train))


def fit_cooccurrence(train: Interactions) -> CooccurrenceScorer:
    """Item–item cosine similarity: C_ij / sqrt(d_i d_j), diagonal zeroed."""
    x = train.to_csr()
    c = (x.T @ x).tocsr().astype(np.float32)
    c.setdiag(0)
    c.eliminate_zeros()
    deg = train.track_degrees().astype(np.float32)
    inv = np.zeros_like(deg)
    inv[deg > 0] = 1.0 / np.sqrt(deg[deg > 0])
    d = sp.diags(inv)
    return CooccurrenceScorer((d @ c @ d).tocsr(), normalized_popularity(train))


def ease_items(train: Interactions, *, min_count: int = 2, max_items: int = 20_000) -> np.ndarray:
    """Tracks EASE models: seen in ≥ ``min_count`` playlists, the ``max_items`` most popular."""
    deg = train.track_degrees()
    items = np.flatnonzero(deg >= min_count)
    if len(items) > max_items:
        items = items[np.argsort(-deg[items], kind="stable")[:max_items]]
        items.sort()
    return items


def _ease_gram(train: Interactions, items: np.ndarray) -> np.ndarray:
    x = train.to_csr()[:, items]
    return np.asarray((x.T @ x).todense(), dtype=np.float64)


def _ease_weights(gram: np.ndarray, lam: float) -> np.ndarray:
    g = gram.copy()
    g[np.diag_indices_from(g)] += lam
    p = np.linalg.inv(g)
    b = p / (-np.diag(p))
    b[np.diag_indices_from(b)] = 0.0
    return b


def fit_ease(
    train: Interactions, *, lam: float = 100.0, min_count: int = 2, max_items: int = 20_000
) -> EaseScorer:
    """EASE: B = I − P·diag(1/diag(P)), P = (XᵀX + λI)⁻¹, on frequent tracks only.

    Raises:
        InputError: no track is frequent enough.
    """
    items = ease_items(train, min_count=min_count, max_items=max_items)
    if len(items) == 0:
        raise InputError(
            f"EASE needs tracks seen in at least {min_count} playlists; there are none.",
            hint="Use a larger library or the popularity baseline.",
        )
    weights = _ease_weights(_ease_gram(train, items), lam)
    return EaseScorer(weights, items, normalized_popularity(train), lam)


def tune_ease(
    train: Interactions,
    validate: Callable[[EaseScorer], dict[str, float]],
    *,
    lambdas: Sequence[float] = (10.0, 50.0, 200.0, 1000.0, 3000.0),
    monitor: str = "ndcg",
    min_count: int = 2,
    max_items: int = 20_000,
) -> tuple[EaseScorer, dict[float, dict[str, float]]]:
    """Fits EASE for each λ and keeps the best by ``monitor`` on the *validation* cases.

    Args:
        validate: e.g. ``make_validator(split.val)`` — never the test cases.

    Returns:
        (the best scorer, {λ: validation metrics}).
    """
    items = ease_items(train, min_count=min_count, max_items=max_items)
    gram = _ease_gram(train, items)
    pop = normalized_popularity(train)
    best: EaseScorer | None = None
    best_value = -np.inf
    history: dict[float, dict[str, float]] = {}
    for lam in lambdas:
        scorer = EaseScorer(_ease_weights(gram, lam), items, pop, lam)
        metrics = validate(scorer)
        history[lam] = metrics
        value = metrics[monitor] if monitor != "clicks" else -metrics[monitor]
        if value > best_value:
            best, best_value = scorer, value
    assert best is not None
    return best, history


class IalsScorer:
    """iALS item factors; each seed set becomes a playlist vector by implicit's user solve."""

    name = "ials"

    def __init__(self, model: Any, popularity: np.ndarray, params: dict[str, float]) -> None:
        self.model = model
        self.popularity = popularity.astype(np.float32)
        self.params = params  # factors, regularization, alpha, iterations: for reports

    def score(self, seeds: Sequence[np.ndarray]) -> np.ndarray:
        q = _seed_matrix(seeds, self.model.item_factors.shape[0])
        with _single_thread_blas():
            # One batched solve for every query: implicit scales q by α itself, exactly as
            # it scaled the training matrix, so a folded-in playlist matches a trained one.
            users = self.model.recalculate_user(np.arange(len(seeds)), q)
            scores = users @ self.model.item_factors.T
        scores = np.asarray(scores, dtype=np.float32) + 1e-3 * self.popularity
        empty = np.array([len(s) == 0 for s in seeds], dtype=bool)
        scores[empty] = self.popularity  # no seeds: the zero vector scores 0 everywhere
        return scores


@contextmanager
def _single_thread_blas() -> Iterator[None]:
    """implicit threads its own solver and asks for a single-threaded BLAS underneath
    (a threaded OpenBLAS makes its fit several times slower, per its own warning)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def fit_ials(
    train: Interactions,
    *,
    factors: int = 64,
    regularization: float = 0.1,
    iterations: int = 15,
    alpha: float = 20.0,
    seed: int = 0,
    num_threads: int = 0,
) -> IalsScorer:
    """Fits implicit's AlternatingLeastSquares on the training playlists × tracks matrix.

    Args:
        factors: latent dimension.
        regularization: L2 strength on both factor matrices.
        iterations: ALS sweeps.
        alpha: confidence of an observed (playlist, track) pair (implicit: C = α · R).
        seed: random initialisation of the factors.
        num_threads: implicit's solver threads (0 = every core).

    Raises:
        InputError: the training graph has no edge.
    """
    if train.n_edges == 0:
        raise InputError(
            "iALS needs at least one playlist with tracks to learn from; there is none.",
            hint="Import playlists first or use the popularity baseline.",
        )
    from implicit.als import AlternatingLeastSquares

    with _single_thread_blas():
        model = AlternatingLeastSquares(
            factors=factors,
            regularization=regularization,
            alpha=alpha,
            iterations=iterations,
            random_state=seed,
            num_threads=num_threads,
            use_gpu=False,
        )
        model.fit(train.to_csr().astype(np.float32), show_progress=False)
    params = {
        "factors": factors,
        "regularization": regularization,
        "alpha": alpha,
        "iterations": iterations,
    }
    return IalsScorer(model, normalized_popularity(train), params)


def tune_ials(
    train: Interactions,
    validate: Callable[[IalsScorer], dict[str, float]],
    *,
    factors: Sequence[int] = (32, 64, 128),
    regularizations: Sequence[float] = (0.01, 0.1, 1.0),
    alphas: Sequence[float] = (1.0, 5.0, 20.0, 50.0),
    iterations: int = 15,
    monitor: str = "ndcg",
    seed: int = 0,
    num_threads: int = 0,
) -> tuple[IalsScorer, dict[str, dict[str, float]]]:
    """Fits iALS on every grid point and keeps the best by ``monitor`` on *validation* cases.

    Args:
        validate: e.g. ``make_validator(split.val)`` — never the test cases.

    Returns:
        (the best scorer, {"factors=…,reg=…,alpha=…": validation metrics}).
    """
    best: IalsScorer | None = None
    best_value = -np.inf
    history: dict[str, dict[str, float]] = {}
    for f in factors:
        for reg in regularizations:
            for alpha in alphas:
                scorer = fit_ials(
                    train,
                    factors=int(f),
                    regularization=reg,
                    alpha=alpha,
                    iterations=iterations,
                    seed=seed,
                    num_threads=num_threads,
                )
                metrics = validate(scorer)
                history[f"factors={int(f)},reg={reg:g},alpha={alpha:g}"] = metrics
                value = metrics[monitor] if monitor != "clicks" else -metrics[monitor]
                if value > best_value:
                    best, best_value = scorer, value
    assert best is not None
    return best, history


def fit_baseline(name: str, train: Interactions, **kw: object):
    """Fits a baseline by name (``popularity``, ``cooccurrence``, ``ease``, ``ials``)."""
    if name == "popularity":
        return fit_popularity(train)
    if name == "cooccurrence":
        return fit_cooccurrence(train)
    if name == "ease":
        return fit_ease(train, **kw)  # type: ignore[arg-type]
    if name == "ials":
        return fit_ials(train, **kw)  # type: ignore[arg-type]
    raise InputError(f"Unknown baseline '{name}'.", hint=f"Choose one of: {', '.join(BASELINES)}.")
