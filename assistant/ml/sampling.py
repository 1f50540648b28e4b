"""Training batches: seed/target splits of playlists and negative tracks.

Each epoch splits every training playlist's tracks *at random* into seeds (what the
readout sees, and the only edges of the epoch's message-passing graph) and targets (the
positives). A target is never one of its own playlist's seeds — otherwise the model
learns identity, not continuation.
Negatives are random tracks, or "hard" ones drawn from the current top-scored tracks
that are not positives, mixed with random ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

MAX_TARGETS = 32  # positives per playlist and step: long playlists do not dominate a batch
HARD_POOL = 64  # hard negatives are drawn from this many top-scored non-positives
HARD_SHARE = 0.5  # the rest stay random: hard negatives alone include unlabelled positives


@dataclass
class Batch:
    """One step's queries, flattened for the readout.

    Attributes:
        seeds / batch / positions: every seed's track, query and playlist position [E].
        n_queries: B.
        query / positive: every (query, positive track) pair [N].
        known: per query, every track of the playlist (seeds and targets): never a
            negative.
    """

    seeds: torch.Tensor
    batch: torch.Tensor
    positions: torch.Tensor
    n_queries: int
    query: torch.Tensor
    positive: torch.Tensor
    known: list[np.ndarray]

    def to(self, device: torch.device) -> Batch:
        move = {k: getattr(self, k).to(device) for k in ("seeds", "batch", "positions")}
        return Batch(
            **move,
            n_queries=self.n_queries,
            query=self.query.to(device),
            positive=self.positive.to(device),
            known=self.known,
        )


@dataclass
class EpochSplit:
    """Each training playlist's tracks split into seeds and targets for one epoch.

    Only the seeds stay in the epoch's message-passing graph: a target is never linked to
    its own playlist's node, so the model cannot find it through that edge (a shortcut
    that a playlist the model never saw does not have).

    Attributes:
        seed_pos / target_pos: per training row, positions in the playlist.
    """

    rows: list[np.ndarray]
    seed_pos: list[np.ndarray]
    target_pos: list[np.ndarray]


def split_epoch(rows: list[np.ndarray], rng: np.random.Generator) -> EpochSplit:
    """Splits every playlist (at least two tracks) into seeds and targets at random."""
    seed_pos, target_pos = [], []
    for row in rows:
        n = len(row)
        perm = rng.permutation(n)
        n_seed = int(rng.integers(1, n))  # 1..n-1: at least one seed and one target
        seed_pos.append(np.sort(perm[:n_seed]))  # seeds in playlist order
        target_pos.append(perm[n_seed:])
    return EpochSplit(rows, seed_pos, target_pos)


def make_batch(split: EpochSplit, idx: np.ndarray, rng: np.random.Generator) -> Batch:
    """The queries of training rows ``idx`` (at most MAX_TARGETS positives each)."""
    seeds, batch, positions, query, positive, known = [], [], [], [], [], []
    for q, i in enumerate(idx):
        row, seed_pos, target_pos = split.rows[i], split.seed_pos[i], split.target_pos[i]
        if len(target_pos) > MAX_TARGETS:
            target_pos = rng.choice(target_pos, MAX_TARGETS, replace=False)
        seeds.append(row[seed_pos])
        positions.append(seed_pos)
        batch.append(np.full(len(seed_pos), q))
        positive.append(row[target_pos])
        query.append(np.full(len(target_pos), q))
        known.append(row)

    def cat(parts: list[np.ndarray]) -> torch.Tensor:
        return torch.from_numpy(np.concatenate(parts).astype(np.int64))

    return Batch(cat(seeds), cat(batch), cat(positions), len(idx), cat(query), cat(positive), known)


def random_negatives(batch: Batch, n_tracks: int, rng: np.random.Generator) -> np.ndarray:
    """One random non-positive track per (query, positive) pair."""
    query = batch.query.cpu().numpy()
    neg = rng.integers(0, n_tracks, size=len(query))
    for q, known in enumerate(batch.known):
        if len(known) >= n_tracks:
            continue  # a playlist holding every track: nothing to reject against
        mask = query == q
        for _ in range(10):  # rejection: collisions are rare unless the catalog is tiny
            bad = mask & np.isin(neg, known)
            if not bad.any():
                break
            neg[bad] = rng.integers(0, n_tracks, size=int(bad.sum()))
    return neg


def hard_negatives(
    batch: Batch,
    scores: torch.Tensor,
    rng: np.random.Generator,
    *,
    share: float = HARD_SHARE,
    pool: int = HARD_POOL,
) -> np.ndarray:
    """Random negatives, a ``share`` of them replaced by top-scored non-positives.

    Args:
        batch: the step's queries.
        scores: current scores [B, n_tracks] (detached).
    """
    n_tracks = scores.shape[1]
    neg = random_negatives(batch, n_tracks, rng)
    masked = scores.detach().clone()
    for q, known in enumerate(batch.known):
        masked[q, torch.from_numpy(known).to(masked.device)] = -torch.inf
    k = min(pool, n_tracks)
    top = torch.topk(masked, k, dim=1).indices.cpu().numpy()
    finite = torch.isfinite(torch.gather(masked, 1, torch.from_numpy(top).to(masked.device)))
    finite = finite.cpu().numpy()
    query = batch.query.cpu().numpy()
    pick = rng.integers(0, k, size=len(query))
    use = (rng.random(len(query)) < share) & finite[query, pick]
    neg[use] = top[query[use], pick[use]]
    return neg


# -- the content-aware model: padded queries and a sampled softmax ----------------------

MAX_SEEDS = 50  # seeds per training query (a random subset, in playlist order)
TITLE_SHARE = 0.1  # training queries that keep only their name (the title-only category)


@dataclass
class PaddedBatch:
    """One step's queries as padded matrices (the candidate-aware readout's input).

    Attributes:
        seeds: [B, S] track indices, -1 = padding. tokens: [B, W] name tokens, -1 = padding.
        query / positive: every (query, positive track) pair [N].
        known: per query, every track of the playlist: never a negative.
    """

    seeds: torch.Tensor
    tokens: torch.Tensor
    query: torch.Tensor
    positive: torch.Tensor
    known: list[np.ndarray]

    def to(self, device: torch.device) -> PaddedBatch:
        return PaddedBatch(
            self.seeds.to(device),
            self.tokens.to(device),
            self.query.to(device),
            self.positive.to(device),
            self.known,
        )


def pad(rows: list[np.ndarray]) -> torch.Tensor:
    """Rows of different lengths as one int64 matrix padded with -1 (at least 1 column)."""
    out = np.full((len(rows), max([len(r) for r in rows] + [1])), -1, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return torch.from_numpy(out)


def make_padded_batch(
    split: EpochSplit,
    idx: np.ndarray,
    tokens: list[np.ndarray],
    rng: np.random.Generator,
    *,
    title_share: float = TITLE_SHARE,
    max_seeds: int = MAX_SEEDS,
) -> PaddedBatch:
    """Queries of training rows ``idx``; ``tokens[i]`` are row i's name tokens.

    A ``title_share`` of the queries whose name has known tokens drop their seeds (the
    model must learn the title-only case); seeds beyond ``max_seeds`` are subsampled.
    """
    seeds, toks, query, positive, known = [], [], [], [], []
    for q, i in enumerate(idx):
        row, seed_pos, target_pos = split.rows[i], split.seed_pos[i], split.target_pos[i]
        if len(target_pos) > MAX_TARGETS:
            target_pos = rng.choice(target_pos, MAX_TARGETS, replace=False)
        if len(seed_pos) > max_seeds:
            seed_pos = np.sort(rng.choice(seed_pos, max_seeds, replace=False))
        if len(tokens[i]) and rng.random() < title_share:
            seed_pos = seed_pos[:0]
        seeds.append(row[seed_pos])
        toks.append(tokens[i])
        positive.append(row[target_pos])
        query.append(np.full(len(target_pos), q))
        known.append(row)
    return PaddedBatch(
        pad(seeds),
        pad(toks),
        torch.from_numpy(np.concatenate(query).astype(np.int64)),
        torch.from_numpy(np.concatenate(positive).astype(np.int64)),
        known,
    )


def sampling_distribution(degrees: np.ndarray, power: float) -> np.ndarray:
    """Negative-sampling probabilities ∝ degree^power over tracks with a training edge."""
    w = np.where(degrees > 0, degrees.astype(np.float64) ** power, 0.0)
    return w / w.sum()


@dataclass(frozen=True)
class Negatives:
    """Where a sampled softmax draws its negatives: ``q`` ∝ degree^power (tracks with a
    training edge), and what log-Q needs.

    ``rng.choice(n, p=q)`` validates and re-sums ``q`` on every call (30–60 ms a step at
    the full MPD's 2.3M tracks); the CDF is built once here and a draw is one
    ``searchsorted`` — the same draws for the same generator state, as numpy's own
    ``choice`` with ``p`` does exactly this after its checks.
    """

    q: np.ndarray
    cdf: np.ndarray
    degrees: np.ndarray
    total_degree: float

    @classmethod
    def of(cls, degrees: np.ndarray, power: float) -> Negatives:
        q = sampling_distribution(degrees, power)
        cdf = q.cumsum()
        cdf /= cdf[-1]
        return cls(q, cdf, degrees, float(max(degrees.sum(), 1)))

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` tracks drawn ∝ ``q`` (with replacement)."""
        return self.cdf.searchsorted(rng.random(n), side="right").astype(np.int64)

    def log_q(self, tracks: np.ndarray, n_edges: int, n_drawn: int) -> np.ndarray:
        """log of each track's expected count among the candidates: ``n_edges`` positives
        (edges, so drawn ∝ degree) plus ``n_drawn`` draws from ``q``; float32."""
        expected = n_edges * self.degrees[tracks] / self.total_degree + n_drawn * self.q[tracks]
        return np.log(np.maximum(expected, 1e-12)).astype(np.float32)


def sampled_candidates(
    positives: np.ndarray,
    negatives: Negatives,
    n_sampled: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """The candidate set of a sampled-softmax step and each candidate's log-Q.

    Candidates: the step's positives (in-batch negatives for the other queries) plus
    ``n_sampled`` tracks drawn from ``q``. log-Q is the log of a track's expected count
    in that draw (positives are edges drawn ∝ degree): subtracting it from the logits
    makes the sampled softmax an unbiased stand-in for the full one (Yi et al. 2019).

    Returns:
        (sorted unique candidate tracks [C], log-Q [C] float32).
    """
    drawn = negatives.draw(n_sampled, rng)
    cand = np.unique(np.concatenate([positives, drawn]))
    return cand, negatives.log_q(cand, len(positives), n_sampled)


def sampled_softmax_loss(
    scores: torch.Tensor,
    cand: np.ndarray,
    log_q: np.ndarray,
    query: torch.Tensor,
    positive: torch.Tensor,
    known: list[np.ndarray],
) -> torch.Tensor:
    """Cross-entropy of each (query, positive) against the candidates its playlist does
    not hold, with the log-Q correction. Memory: [B, C], whatever the catalogue size.

    Args:
        scores: [B, C] model scores of the candidates.
        cand / log_q: from :func:`sampled_candidates` (every positive is a candidate).
    """
    device = scores.device
    logits = scores - torch.from_numpy(log_q).to(device)
    mask = torch.zeros_like(logits, dtype=torch.bool)
    for b, row in enumerate(known):
        pos = np.searchsorted(cand, row)
        pos = pos[pos < len(cand)]
        pos = pos[np.isin(cand[pos], row)]  # the playlist's tracks among the candidates
        mask[b, torch.from_numpy(pos).to(device)] = True
    lse = torch.logsumexp(logits.masked_fill(mask, -torch.inf), dim=1)  # [B]
    col = torch.from_numpy(np.searchsorted(cand, positive.cpu().numpy())).to(device)
    pos_l = logits[query, col]
    return (torch.logaddexp(lse[query], pos_l) - pos_l).mean()


IN_BATCH = 256  # other queries' positives used as negatives per step (content model)


def content_candidates(
    batch: PaddedBatch,
    negatives: Negatives,
    n_sampled: int,
    rng: np.random.Generator,
    in_batch: int = IN_BATCH,
) -> tuple[torch.Tensor, np.ndarray, np.ndarray, np.ndarray]:
    """Candidates of a content-model step: each query's own positives (padded [B, P])
    and shared negatives (``in_batch`` of the step's positives + ``n_sampled`` drawn
    ∝ ``q``), with log-Q of both (a track's expected count in the negative draw).

    Per-query positives keep the attention tensors at B·(P + C)·S instead of
    B·(all positives + C)·S.

    Returns:
        (positives [B, P] with -1 padding, their log-Q [B, P], shared negatives [C]
        sorted unique, their log-Q [C]).
    """
    query = batch.query.cpu().numpy()
    positive = batch.positive.cpu().numpy()
    B = len(batch.known)
    rows = [positive[query == b] for b in range(B)]
    pos = pad(rows)
    some = rng.choice(positive, size=min(in_batch, len(positive)), replace=False)
    drawn = negatives.draw(n_sampled, rng)
    neg = np.unique(np.concatenate([some, drawn]))
    pos_q = negatives.log_q(np.maximum(pos.numpy(), 0), len(some), n_sampled)
    return pos, pos_q, neg, negatives.log_q(neg, len(some), n_sampled)


def content_loss(
    pos_scores: torch.Tensor,
    pos: torch.Tensor,
    pos_log_q: np.ndarray,
    neg_scores: torch.Tensor,
    neg: np.ndarray,
    neg_log_q: np.ndarray,
    known: list[np.ndarray],
) -> torch.Tensor:
    """Sampled softmax of each positive against the shared negatives its playlist does
    not hold, log-Q corrected; padding positives are ignored."""
    device = neg_scores.device
    neg_l = neg_scores - torch.from_numpy(neg_log_q).to(device)
    mask = torch.zeros_like(neg_l, dtype=torch.bool)
    for b, row in enumerate(known):
        hit = np.flatnonzero(np.isin(neg, row))
        mask[b, torch.from_numpy(hit).to(device)] = True
    lse = torch.logsumexp(neg_l.masked_fill(mask, -torch.inf), dim=1, keepdim=True)  # [B, 1]
    pos_l = pos_scores - torch.from_numpy(pos_log_q).to(device)
    valid = (pos >= 0).to(device)
    per_pair = torch.logaddexp(lse, pos_l) - pos_l
    return (per_pair * valid).sum() / valid.sum().clamp(min=1)
