"""Query-time scoring and its exact per-neighbour decomposition.

After training, :meth:`PlaylistRecommender.inference_tensors` leaves per track what a
query needs: its representation ``h``, its key ``k`` (temperature folded in), its bias
``b``, and the readout's attention weights. A query with seed tracks S then costs one
attention over S and one matrix–vector product over all tracks:

    z = (1/H) Σ_h Σ_j α^h_j m^h_j            (m^h_j = W^h x_j, L2-normalised when cosine)
    score(t) = b_t + <z, k_t>

and because ``<z, k_t>`` is linear in the messages, the score splits exactly into

    contribution_j(t) = (1/H) Σ_h α^h_j <m^h_j, k_t>,   attention_j = mean_h α^h_j,
    score(t) = b_t + Σ_j contribution_j(t).

LightGCN is the same with one head and fixed weights ``α_j = 1/|S|`` and ``m_j = h_j``.
This module re-implements GATConv's attention for a single query (no graph, no PyG);
the tests check it against the model's forward pass, not against a re-derivation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from assistant.ml.base import best_indices
from assistant.ml.spec import MAX_POSITION

NEGATIVE_SLOPE = 0.2  # GATConv's default LeakyReLU slope


@dataclass
class Attention:
    """One query's readout.

    Attributes:
        z: the playlist representation [dim].
        alpha: attention per head and seed [H, S] (each row sums to 1).
        messages: per head and seed [H, S, dim].
    """

    z: torch.Tensor
    alpha: torch.Tensor
    messages: torch.Tensor

    @property
    def attention(self) -> np.ndarray:
        """Head-averaged attention per seed [S] (sums to 1)."""
        return self.alpha.mean(dim=0).cpu().numpy()


class InferenceModel:
    """Scores and explains seed sets from precomputed per-track tensors.

    Args:
        tensors: ``h``, ``keys``, ``bias`` (+ ``lin``, ``att_src``, ``att_dst`` for the
            attention readout, ``pos`` when positional), as saved in a checkpoint.
        heads: attention heads (ignored without attention).
        cosine: whether messages are L2-normalised.
        popularity: fallback scores for a query without known seeds.
        device: where to compute.
    """

    def __init__(
        self,
        tensors: dict[str, torch.Tensor],
        *,
        heads: int = 1,
        cosine: bool = False,
        popularity: torch.Tensor | None = None,
        device: torch.device | str = "cpu",
    ) -> None:
        self.device = torch.device(device)
        t = {k: v.to(self.device, torch.float32) for k, v in tensors.items()}
        self.h, self.keys, self.bias = t["h"], t["keys"], t["bias"]
        self.attention = "lin" in t
        self.heads = heads if self.attention else 1
        self.cosine = cosine
        self.dim = self.h.shape[1]
        self.lin, self.att_src, self.att_dst = t.get("lin"), t.get("att_src"), t.get("att_dst")
        self.pos = t.get("pos")
        # Tracks without an edge in the training graph (older checkpoints: all active).
        active = t.get("active")
        self.active = active > 0.5 if active is not None else None
        if popularity is None:
            popularity = torch.zeros(self.n_tracks)
        self.popularity = popularity.to(self.device, torch.float32)

    @property
    def n_tracks(self) -> int:
        return int(self.h.shape[0])

    def attend(self, seeds: np.ndarray | torch.Tensor) -> Attention:
        """The readout for one query (seeds in playlist order, at least one)."""
        idx = torch.as_tensor(np.asarray(seeds, dtype=np.int64), device=self.device)
        x = self.h[idx]
        if self.pos is not None:
            positions = torch.arange(len(idx), device=self.device).clamp(max=MAX_POSITION - 1)
            x = x + self.pos[positions]
        S = len(idx)
        keep = self.active[idx] if self.active is not None else torch.ones_like(idx).bool()
        w = keep.float()
        n_active = float(w.sum())
        if not self.attention:
            alpha = (w / max(n_active, 1.0)).unsqueeze(0)
            messages = x.unsqueeze(0)
        else:
            H, d = self.heads, self.dim
            raw = (x @ self.lin.T).view(S, H, d).transpose(0, 1)  # [H, S, d]
            mean = (x * w[:, None]).sum(dim=0) / max(n_active, 1.0)
            query = (mean @ self.lin.T).view(H, d)
            logits = (raw * self.att_src[:, None, :]).sum(-1) + (query * self.att_dst).sum(
                -1, keepdim=True
            )
            logits = F.leaky_relu(logits, NEGATIVE_SLOPE).masked_fill(~keep, -torch.inf)
            if n_active:
                alpha = torch.softmax(logits, dim=1)  # over the active seeds
            else:
                alpha = torch.zeros(H, S, device=self.device)  # no information: z = 0
            messages = F.normalize(raw, dim=-1) if self.cosine else raw
        z = (alpha.unsqueeze(-1) * messages).sum(dim=1).mean(dim=0)
        return Attention(z, alpha, messages)

    def scores(self, att: Attention | None) -> torch.Tensor:
        """Scores of every track [n_tracks]; popularity when there are no seeds."""
        if att is None:
            return self.popularity.clone()
        return self.keys @ att.z + self.bias

    def score_batch(self, seeds: list[np.ndarray]) -> np.ndarray:
        """Scores for many queries [B, n_tracks] (float32; unknown-free seed arrays)."""
        zs, empty = [], []
        for i, s in enumerate(seeds):
            if len(s):
                zs.append(self.attend(s).z)
            else:
                zs.append(torch.zeros(self.dim, device=self.device))
                empty.append(i)
        out = torch.stack(zs) @ self.keys.T + self.bias if zs else torch.zeros(0, self.n_tracks)
        for i in empty:
            out[i] = self.popularity
        return out.cpu().numpy().astype(np.float32, copy=False)

    def contributions(self, att: Attention, tracks: np.ndarray) -> np.ndarray:
        """Per-seed additive terms of the given tracks' scores [S, len(tracks)].

        ``bias[t] + contributions[:, i].sum() == scores[t]`` for ``t = tracks[i]``.
        """
        idx = torch.as_tensor(np.asarray(tracks, dtype=np.int64), device=self.device)
        k = self.keys[idx]  # [K, d]
        per_head = torch.einsum("hs,hsd,kd->hsk", att.alpha, att.messages, k)
        return per_head.mean(dim=0).cpu().numpy()

    def bias_of(self, tracks: np.ndarray) -> np.ndarray:
        idx = torch.as_tensor(np.asarray(tracks, dtype=np.int64), device=self.device)
        return self.bias[idx].cpu().numpy()


# -- the content-aware model ("hgat"): candidate-aware attention ------------------------


@dataclass
class Terms:
    """The additive terms of B queries' scores for C candidates (content-aware model).

    ``score[b, c] = bias[c] + seed[b, c, :].sum() + artist[b, c] + album[b, c]
    + name[b, c, :].sum()``, exactly (see :func:`content_terms`).

    Attributes:
        bias: [C] (or [B, C] for per-query candidates). seed: [B, C, S] (α_j(c)·<m_j, key_c>). alpha: [B, C, S] (each
        (b, c) row sums to 1 over the usable seeds, 0 without any). artist / album:
        [B, C]. name: [B, C, W].
    """

    bias: torch.Tensor
    seed: torch.Tensor
    alpha: torch.Tensor
    artist: torch.Tensor
    album: torch.Tensor
    name: torch.Tensor

    def select(self, order: torch.Tensor) -> Terms:
        """These terms for a subset/reordering of the candidates (dim 1)."""
        return Terms(
            self.bias[..., order] if self.bias.dim() == 1 else self.bias[:, order],
            self.seed[:, order],
            self.alpha[:, order],
            self.artist[:, order],
            self.album[:, order],
            self.name[:, order],
        )

    def total(self) -> torch.Tensor:
        return self.bias + self.seed.sum(-1) + self.artist + self.album + self.name.sum(-1)


def content_terms(
    p: dict[str, torch.Tensor],
    cand: dict[str, torch.Tensor],
    seeds: dict[str, torch.Tensor],
    names: torch.Tensor,
    name_mask: torch.Tensor,
    *,
    uniform: bool = False,
) -> Terms:
    """The content-aware readout, shared by training and inference (one formula).

    For candidate t and the usable seeds j of a query (a seed is usable when the model
    has a trained vector for it: its own playlist edges, or a known artist or album)::

        α_j(t)   = softmax_j(<W_q h_t, W_k h_j> / √d)
        seed_j   = α_j(t) · <m_j, key_t>          m_j = normalise(W_v h_j)
        artist   = w_artist · log(1 + #seeds by t's artist)
        album    = w_album · log(1 + #seeds from t's album)
        name_w   = g(n) / |W| · <m_w, key_t>      m_w = normalise(W_v e_w), per name token w
        g(n)     = sigmoid(γ0 + γ1 · log(1 + n))  n = usable seeds: the name is a prior
                                                   that fades as seeds arrive
        score(t) = b_t + Σ_j seed_j + artist + album + Σ_w name_w

    Args:
        p: the readout's weights: ``wq``, ``wk`` [d, d], ``content_w`` [2], ``name_gate`` [2].
        cand: per candidate [C] (shared by the queries) or [B, C] (per query): ``h``,
            ``key`` [.., d], ``bias``, ``artist``, ``album`` (int, -1 unknown).
        seeds: per query and seed slot [B, S]: ``h``, ``m`` [B, S, d], ``usable``,
            ``present`` (bool: a real seed, not padding), ``artist``, ``album`` (int).
        names: name-token messages m_w [B, W, d]; name_mask: [B, W] bool.
        uniform: α_j = 1/|usable| for every candidate (the cheap retrieval score).
    """
    d = cand["h"].shape[-1]
    # Candidates shared by every query [C, ...] or per query [B, C, ...].
    per_query = cand["h"].dim() == 3
    spec = "bcd,bsd->bcs" if per_query else "cd,bsd->bcs"
    usable = seeds["usable"] & seeds["present"]
    values = torch.einsum(spec, cand["key"], seeds["m"])
    if uniform:
        w = usable.to(values.dtype)
        alpha = (w / w.sum(-1, keepdim=True).clamp(min=1.0))[:, None, :].expand_as(values)
    else:
        q = cand["h"] @ p["wq"].T
        k = seeds["h"] @ p["wk"].T
        logits = torch.einsum(spec, q, k) / d**0.5
        logits = logits.masked_fill(~usable[:, None, :], -torch.inf)
        alpha = torch.softmax(logits, dim=-1)
        alpha = torch.where(usable.any(-1)[:, None, None], alpha, torch.zeros_like(alpha))
    seed = alpha * values
    present = seeds["present"][:, None, :]

    def shared(ref_c: torch.Tensor, ref_s: torch.Tensor) -> torch.Tensor:
        ref_c = ref_c if per_query else ref_c[None]
        same = (ref_s[:, None, :] == ref_c[..., None]) & present & (ref_c >= 0)[..., None]
        return torch.log1p(same.sum(-1).to(values.dtype))

    artist = p["content_w"][0] * shared(cand["artist"], seeds["artist"])
    album = p["content_w"][1] * shared(cand["album"], seeds["album"])
    n_usable = usable.sum(-1).to(values.dtype)
    gate = torch.sigmoid(p["name_gate"][0] + p["name_gate"][1] * torch.log1p(n_usable))  # [B]
    n_words = name_mask.sum(-1).clamp(min=1).to(values.dtype)
    name_spec = "bcd,bwd->bcw" if per_query else "cd,bwd->bcw"
    name = torch.einsum(name_spec, cand["key"], names) * name_mask[:, None, :]
    name = name * (gate / n_words)[:, None, None]
    return Terms(cand["bias"], seed, alpha, artist, album, name)


CONTENT_READOUT = ("wq", "wk", "wv", "content_w", "name_gate")
#: A query with no usable seed (title only) adds this × popularity (log(1 + degree)) to
#: every bias: the learned name prior alone ranked below plain popularity on the MPD
#: sample's validation title-only playlists (NDCG 0.069 vs 0.087); with 4× popularity it
#: reached 0.095 (λ ∈ {0.5, 1, 2, 4, 8} compared on validation only).
TITLE_POPULARITY = 4.0


class ContentInference:
    """Two-stage scoring and exact explanations for the content-aware model.

    Stage 1 (retrieval) scores every track with the same formula and uniform seed
    weights: one matrix–vector product plus the shared-artist/album counts of the
    seeds' artists' and albums' tracks. Stage 2 re-ranks the best ``candidates`` with
    the candidate-aware attention (what the score and the explanation are).

    Args:
        tensors: ``h``, ``keys``, ``bias``, ``usable``, ``artist_of``, ``album_of``,
            ``token_m`` (name-token messages) and the readout weights (see
            :data:`CONTENT_READOUT`); optionally ``artist_h`` / ``album_h`` (the artist
            and album vectors: seeds outside the track vocabulary, see :meth:`prepare`;
            older checkpoints lack them and cannot use such seeds).
        popularity: scores of a query with nothing usable (no seed, no known name token).
        candidates: how many tracks stage 2 re-ranks.
    """

    def __init__(
        self,
        tensors: dict[str, torch.Tensor],
        *,
        popularity: torch.Tensor | None = None,
        candidates: int = 1000,
        device: torch.device | str = "cpu",
    ) -> None:
        self.device = torch.device(device)
        t = {
            k: (v.to(self.device, torch.float32) if v.is_floating_point() else v.to(self.device))
            for k, v in tensors.items()
        }
        self.h, self.keys, self.bias = t["h"], t["keys"], t["bias"]
        self.usable = t["usable"] > 0.5
        self.artist_of = t["artist_of"].long()
        self.album_of = t["album_of"].long()
        self.token_m = t["token_m"]
        self.artist_h, self.album_h = t.get("artist_h"), t.get("album_h")
        self.p = {k: t[k] for k in CONTENT_READOUT}
        self.candidates = candidates
        self.dim = self.h.shape[1]
        if popularity is None:
            popularity = torch.zeros(self.n_tracks)
        self.popularity = popularity.to(self.device, torch.float32)
        self._by_artist = _groups(self.artist_of.cpu().numpy())
        self._by_album = _groups(self.album_of.cpu().numpy())

    @property
    def n_tracks(self) -> int:
        return int(self.h.shape[0])

    def message(self, h: torch.Tensor) -> torch.Tensor:
        return F.normalize(h @ self.p["wv"].T, dim=-1)

    def score_batch(
        self, seeds: Sequence[np.ndarray], tokens: Sequence[np.ndarray] | None = None
    ) -> np.ndarray:
        """Scores [len(seeds), n_tracks] of the two-stage ranking (evaluation's view of
        it); a query with nothing to go on gets popularity.

        The re-ranked candidates carry their final scores and every other track its
        retrieval score shifted below them, so the ranking of the first ``candidates``
        tracks is the model's own.
        """
        out = np.empty((len(seeds), self.n_tracks), dtype=np.float32)
        for i, s in enumerate(seeds):
            s = np.asarray(s, dtype=np.int64)
            words = tokens[i] if tokens is not None else np.zeros(0, dtype=np.int64)
            with torch.no_grad():
                query = self.prepare(s, words)
                if not query.informative:
                    out[i] = self.popularity.cpu().numpy()
                    continue
                retrieval = self.retrieval_scores(query).cpu().numpy()
                masked = retrieval.copy()
                masked[s] = -np.inf
                c = min(self.candidates, self.n_tracks)
                cand = best_indices(masked, c)
                final = self.terms(query, cand).total()[0].cpu().numpy()
            floor = min(float(final.min()), float(retrieval[cand].min()))
            out[i] = retrieval - retrieval.max() + floor - 1.0
            out[i, cand] = final
        return out

    @property
    def reads_content_seeds(self) -> bool:
        """Whether seeds outside the track vocabulary can be read through their artist
        and album (checkpoints that store ``artist_h`` and ``album_h``)."""
        return self.artist_h is not None and self.album_h is not None

    def content_seeds(self, content: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Vectors [n, d] and usability [n] of seeds known only by (artist, album) index
        pairs [n, 2] (-1 = unknown): ``h = artist_h[a] + album_h[l]``, usable when the
        artist or the album has a trained vector (a nonzero row)."""
        pairs = torch.as_tensor(np.asarray(content, dtype=np.int64).reshape(-1, 2))
        pairs = pairs.to(self.device)
        h = self.h.new_zeros((len(pairs), self.dim))
        usable = torch.zeros(len(pairs), dtype=torch.bool, device=self.device)
        if not self.reads_content_seeds:
            return h, usable
        for col, table in enumerate((self.artist_h, self.album_h)):
            assert table is not None
            if table.shape[0] == 0:  # a model trained without artists (or albums)
                continue
            ref = pairs[:, col]
            known = (ref >= 0) & (ref < table.shape[0])
            rows = torch.where(known[:, None], table[ref.clamp(0, table.shape[0] - 1)], 0.0)
            h = h + rows
            usable |= rows.abs().sum(-1) > 0
        return h, usable

    def prepare(
        self, seeds: np.ndarray, tokens: np.ndarray, content: np.ndarray | None = None
    ) -> Query:
        """Everything about one query that does not depend on the candidates.

        Args:
            seeds: track indices.
            tokens: name-token indices.
            content: seeds outside the track vocabulary as (artist, album) index pairs
                [n, 2] (-1 = unknown), placed after ``seeds`` (see :meth:`content_seeds`):
                attended to and counted for shared artists/albums like any seed.
        """
        seeds = np.asarray(seeds, dtype=np.int64)
        idx = torch.as_tensor(seeds, device=self.device)
        h = self.h[idx]
        usable = self.usable[idx]
        artist, album = self.artist_of[idx], self.album_of[idx]
        if content is not None and len(content):
            pairs = torch.as_tensor(np.asarray(content, dtype=np.int64).reshape(-1, 2))
            pairs = pairs.to(self.device)
            h_c, usable_c = self.content_seeds(content)
            h, usable = torch.cat([h, h_c]), torch.cat([usable, usable_c])
            artist, album = torch.cat([artist, pairs[:, 0]]), torch.cat([album, pairs[:, 1]])
        s = {
            "h": h[None],
            "m": self.message(h)[None],
            "usable": usable[None],
            "present": torch.ones(1, len(h), dtype=torch.bool, device=self.device),
            "artist": artist[None],
            "album": album[None],
        }
        tok = torch.as_tensor(np.asarray(tokens, dtype=np.int64), device=self.device)
        names = self.token_m[tok][None]
        mask = torch.ones(1, len(tok), dtype=torch.bool, device=self.device)
        informative = (
            len(tokens) > 0
            or bool(usable.any())
            or bool((s["artist"] >= 0).any() or (s["album"] >= 0).any())
        )
        return Query(seeds, s, names, mask, informative, not bool(usable.any()))

    def _cand(self, idx: torch.Tensor) -> dict[str, torch.Tensor]:
        return {
            "h": self.h[idx],
            "key": self.keys[idx],
            "bias": self.bias[idx],
            "artist": self.artist_of[idx],
            "album": self.album_of[idx],
        }

    def retrieval_scores(self, query: Query) -> torch.Tensor:
        """Stage 1: every track's score with uniform seed weights [n_tracks]."""
        s = query.seeds
        usable = s["usable"][0]
        n = float(usable.sum())
        z = (s["m"][0] * usable[:, None]).sum(0) / max(n, 1.0)
        gate = torch.sigmoid(self.p["name_gate"][0] + self.p["name_gate"][1] * float(np.log1p(n)))
        n_words = query.names.shape[1]
        if n_words:
            z = z + gate * query.names[0].sum(0) / n_words
        scores = self.keys @ z + self.bias
        if query.title_only:
            scores = scores + TITLE_POPULARITY * self.popularity
        # Shared artist/album: one scatter over the tracks of the seeds' artists/albums.
        parts, weights = [], []
        for of, groups, w in (
            (s["artist"][0], self._by_artist, float(self.p["content_w"][0])),
            (s["album"][0], self._by_album, float(self.p["content_w"][1])),
        ):
            refs, counts = np.unique(of.cpu().numpy(), return_counts=True)
            for ref, count in zip(refs, counts, strict=True):
                if ref >= 0:
                    tracks = groups(int(ref))
                    parts.append(tracks)
                    weights.append(np.full(len(tracks), w * np.log1p(count), dtype=np.float32))
        if parts:
            idx = torch.from_numpy(np.concatenate(parts)).to(self.device)
            scores.index_add_(0, idx, torch.from_numpy(np.concatenate(weights)).to(self.device))
        return scores

    def terms(self, query: Query, tracks: np.ndarray) -> Terms:
        """Stage 2: the exact terms of the given tracks' scores (B = 1)."""
        idx = torch.as_tensor(np.asarray(tracks, dtype=np.int64), device=self.device)
        cand = self._cand(idx)
        if query.title_only:  # the popularity prior is part of the bias (see TITLE_POPULARITY)
            cand["bias"] = cand["bias"] + TITLE_POPULARITY * self.popularity[idx]
        return content_terms(self.p, cand, query.seeds, query.names, query.mask)

    def rank(
        self, query: Query, banned: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, Terms | None]:
        """Top-k tracks (best first) of the two-stage ranking, never a banned one.

        Returns:
            (tracks, their final scores, the retrieved candidates in retrieval order,
            the top tracks' terms — None when nothing can be ranked).
        """
        scores = self.retrieval_scores(query).cpu().numpy()
        scores[banned] = -np.inf
        n_ok = int(np.isfinite(scores).sum())
        c = min(max(self.candidates, k), n_ok)
        if c == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, np.zeros(0, np.float32), empty, None
        cand = best_indices(scores, c)
        cand = cand[np.argsort(-scores[cand], kind="stable")]
        terms = self.terms(query, cand)
        final = terms.total()[0].cpu().numpy()
        order = np.argsort(-final, kind="stable")[:k]
        return cand[order], final[order], cand, terms.select(torch.from_numpy(order))


def retrieval_recall(inf: ContentInference, query: Query, k: int = 500) -> float:
    """Share of the exhaustive top-k (candidate-aware attention over *every* track) that
    stage 1 retrieves: what the two-stage design loses (1.0 = nothing)."""
    banned = query.indices
    with torch.no_grad():
        exhaustive = inf.terms(query, np.arange(inf.n_tracks)).total()[0].cpu().numpy()
        exhaustive[banned] = -np.inf
        k = min(k, int(np.isfinite(exhaustive).sum()))
        if k == 0:
            return 1.0
        best = np.argpartition(-exhaustive, k - 1)[:k]
        _, _, retrieved, _ = inf.rank(query, banned, k)
    return len(np.intersect1d(best, retrieved)) / k


@dataclass
class Query:
    """One prepared query of the content model (see :meth:`ContentInference.prepare`)."""

    indices: np.ndarray
    seeds: dict[str, torch.Tensor]
    names: torch.Tensor
    mask: torch.Tensor
    informative: bool  # anything usable (else: popularity)
    title_only: bool = False  # no usable seed: the popularity prior joins the bias


def _groups(of: np.ndarray):
    """``ref -> the tracks with that artist/album`` in O(1) per call (CSR by argsort)."""
    order = np.argsort(of, kind="stable")
    sorted_of = of[order]
    n_refs = int(of.max()) + 1 if len(of) and of.max() >= 0 else 0
    starts = np.searchsorted(sorted_of, np.arange(n_refs + 1))

    def tracks(ref: int) -> np.ndarray:
        return order[starts[ref] : starts[ref + 1]]

    return tracks
