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
