"""The content-aware recommender ("hgat"): a heterogeneous graph and a readout whose
attention depends on the candidate.

Graph (:func:`~assistant.ml.propagation.hetero_adjacency`): playlists, tracks, artists,
albums and playlist-name tokens, linked playlist–track, track–artist, track–album and
playlist–token. Every node has a learned embedding; LightGCN-style propagation (one
sparse product per layer over the sum of the per-relation normalised adjacencies) mixes
them, and the layers are averaged.

Track representation ``h_t = e_t + e_artist(t) + e_album(t)``. A track without a
training playlist has its own input embedding zeroed (it was never trained), so its
vector comes from its artist and album alone: a track the model never saw in a playlist
but whose artist it knows still gets a meaningful, trained vector. Artists, albums and
tokens without any trained neighbour are zeroed likewise.

Readout: :func:`~assistant.ml.inference.content_terms` (shared with inference, so the
explanation is the model's own arithmetic): candidate-aware attention over the seeds,
shared-artist/album counts, and a name-token prior that fades as seeds arrive.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from assistant.ml.graph import Interactions, encode_tokens, name_tokens
from assistant.ml.inference import Terms, content_terms
from assistant.ml.propagation import hetero_adjacency, propagate
from assistant.ml.spec import TAU_INIT, TAU_MAX, TAU_MIN, ModelSpec

MIN_TOKEN_PLAYLISTS = 2  # a name token must occur in this many training playlists


def token_vocabulary(names: Sequence[str], min_count: int = MIN_TOKEN_PLAYLISTS) -> list[str]:
    """Name tokens used by at least ``min_count`` playlists, most frequent first."""
    counts = Counter(w for name in names for w in name_tokens(name))
    return [w for w, c in sorted(counts.items(), key=lambda x: (-x[1], x[0])) if c >= min_count]


class ContentRecommender(nn.Module):
    """Heterogeneous propagation + candidate-aware attention readout.

    Args:
        spec: the shape (``n_artists``/``n_albums``/``n_tokens`` set).
        artist_of / album_of: int64 [n_tracks], -1 unknown.
    """

    def __init__(self, spec: ModelSpec, artist_of: np.ndarray, album_of: np.ndarray) -> None:
        super().__init__()
        self.spec = spec
        d = spec.dim
        P, T = spec.n_playlists, spec.n_tracks
        A, L, W = spec.n_artists, spec.n_albums, spec.n_tokens
        self.offsets = (0, P, P + T, P + T + A, P + T + A + L, P + T + A + L + W)
        self.emb = nn.Embedding(max(self.offsets[-1], 1), d)
        nn.init.normal_(self.emb.weight, std=0.1)
        self.wq = nn.Linear(d, d, bias=False)
        self.wk = nn.Linear(d, d, bias=False)
        self.wv = nn.Linear(d, d, bias=False)
        self.key = nn.Linear(d, d, bias=False)
        self.bias = nn.Embedding(T, 1)
        nn.init.zeros_(self.bias.weight)
        self.log_tau = nn.Parameter(torch.tensor(float(TAU_INIT)).log())
        self.content_w = nn.Parameter(torch.tensor([0.5, 0.5]))
        # The name prior starts strong for title-only queries and fades with seeds.
        self.name_gate = nn.Parameter(torch.tensor([0.0, -0.5]))
        self.register_buffer("artist_of", torch.as_tensor(artist_of, dtype=torch.long))
        self.register_buffer("album_of", torch.as_tensor(album_of, dtype=torch.long))
        self.register_buffer("input_mask", torch.ones(self.offsets[-1]))
        self.register_buffer("usable", torch.ones(T, dtype=torch.bool))
        self.graph: torch.Tensor | None = None

    def set_trained_nodes(self, data: Interactions) -> None:
        """Zeroes the inputs of nodes that no training playlist reaches (see module doc).

        A track is trained when it has a playlist edge in ``data``; an artist or album
        when one of its tracks is; tokens come from training names, so all are.
        """
        P, T, A, L = (self.offsets[i + 1] - self.offsets[i] for i in range(4))
        active = np.bincount(data.indices, minlength=T) > 0
        mask = np.ones(self.offsets[-1], dtype=np.float32)
        mask[P : P + T] = active
        usable = active.copy()
        for of, n, start in ((data.artist_of, A, P + T), (data.album_of, L, P + T + A)):
            if n == 0 or len(of) != T:
                continue
            known = np.zeros(n, dtype=bool)
            known[of[active & (of >= 0)]] = True
            mask[start : start + n] = known
            usable |= (of >= 0) & known[np.maximum(of, 0)]
        self.input_mask.copy_(torch.from_numpy(mask))
        self.usable.copy_(torch.from_numpy(usable))

    def attach(self, graph: torch.Tensor) -> None:
        self.graph = graph

    def node_representations(self) -> torch.Tensor:
        if self.graph is None:
            raise RuntimeError("attach() the training graph first")
        x = self.emb.weight * self.input_mask[:, None]
        outs = propagate(self.graph, x, self.spec.layers)
        return sum(outs) / len(outs)

    def representations(self, e: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Track representations h [T, d] and name-token messages m_w [W, d] (from the
        propagated node vectors ``e`` when already computed)."""
        if e is None:
            e = self.node_representations()
        o = self.offsets
        h = e[o[1] : o[2]].clone()
        for of, start in ((self.artist_of, o[2]), (self.album_of, o[3])):
            known = of >= 0
            if known.any():
                h = h + torch.where(known[:, None], e[start + of.clamp(min=0)], 0.0)
        return h, self.message(e[o[4] : o[5]])

    def tau(self) -> torch.Tensor:
        return self.log_tau.exp().clamp(TAU_MIN, TAU_MAX)

    def keys(self, h: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.key(h), dim=-1) * self.tau()

    def message(self, h: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.wv(h), dim=-1)

    def readout_weights(self) -> dict[str, torch.Tensor]:
        return {
            "wq": self.wq.weight,
            "wk": self.wk.weight,
            "wv": self.wv.weight,
            "content_w": self.content_w,
            "name_gate": self.name_gate,
        }

    def terms(
        self,
        h: torch.Tensor,
        token_m: torch.Tensor,
        candidates: torch.Tensor,
        seeds: torch.Tensor,
        tokens: torch.Tensor,
    ) -> Terms:
        """Score terms of shared candidates for B padded queries.

        Args:
            h / token_m: from :meth:`representations`.
            candidates: track indices [C] shared by the queries, or [B, C] per query.
            seeds: [B, S] track indices, -1 = padding.
            tokens: [B, W] name-token indices, -1 = padding.
        """
        present = seeds >= 0
        s = seeds.clamp(min=0)
        if candidates.dim() == 2:  # per query, -1 = padding (scores there are meaningless)
            candidates = candidates.clamp(min=0)
        hs = h[s] * present[..., None]
        cand = {
            "h": h[candidates],
            "key": self.keys(h[candidates]),
            "bias": self.bias.weight[candidates, 0],
            "artist": self.artist_of[candidates],
            "album": self.album_of[candidates],
        }
        seed_t = {
            "h": hs,
            "m": self.message(hs),
            "usable": self.usable[s] & present,
            "present": present,
            "artist": torch.where(present, self.artist_of[s], -1),
            "album": torch.where(present, self.album_of[s], -1),
        }
        tmask = tokens >= 0
        names = (
            token_m[tokens.clamp(min=0)]
            if token_m.shape[0]
            else h.new_zeros((*tokens.shape, h.shape[1]))
        )
        return content_terms(self.readout_weights(), cand, seed_t, names, tmask)

    def forward(
        self, candidates: torch.Tensor, seeds: torch.Tensor, tokens: torch.Tensor
    ) -> torch.Tensor:
        """Scores [B, C] of the candidates for B padded queries."""
        h, token_m = self.representations()
        return self.terms(h, token_m, candidates, seeds, tokens).total()

    @torch.no_grad()
    def inference_tensors(self) -> dict[str, torch.Tensor]:
        """What a query needs (see :class:`~assistant.ml.inference.ContentInference`).

        ``artist_h`` [A, d] / ``album_h`` [L, d]: the propagated artist and album vectors,
        zero where no training playlist reaches them (the input mask), so that a seed
        outside the track vocabulary can be read as ``artist_h[a] + album_h[l]``: its
        track's own term is what the model lacks, the rest of ``h_t`` it has.
        """
        e = self.node_representations()
        h, token_m = self.representations(e)
        o, mask = self.offsets, self.input_mask[:, None]
        tensors = {
            "artist_h": e[o[2] : o[3]] * mask[o[2] : o[3]],
            "album_h": e[o[3] : o[4]] * mask[o[3] : o[4]],
            "h": h,
            "keys": self.keys(h),
            "bias": self.bias.weight[:, 0],
            "usable": self.usable.float(),
            "artist_of": self.artist_of,
            "album_of": self.album_of,
            "token_m": token_m,
            **self.readout_weights(),
        }
        return {
            k: (v.detach().float() if v.is_floating_point() else v.detach()).cpu().contiguous()
            for k, v in tensors.items()
        }


def build_content_model(
    data: Interactions, spec: ModelSpec, tokens: list[str], device: torch.device
) -> tuple[ContentRecommender, list[np.ndarray]]:
    """A fresh content model for ``data`` with its full graph attached.

    Returns:
        (model, per-playlist token indices of ``data``'s names).
    """
    T = data.n_tracks
    artist_of = data.artist_of if data.has_content else np.full(T, -1, dtype=np.int64)
    album_of = data.album_of if data.has_content else np.full(T, -1, dtype=np.int64)
    model = ContentRecommender(spec, artist_of, album_of).to(device)
    model.set_trained_nodes(data)
    playlist_tokens = playlist_token_ids(data, tokens)
    model.attach(hetero_adjacency(data, playlist_tokens, len(tokens), device))
    return model, playlist_tokens


def playlist_token_ids(data: Interactions, tokens: list[str]) -> list[np.ndarray]:
    index = {w: i for i, w in enumerate(tokens)}
    names = data.names if data.names else [""] * data.n_playlists
    return [encode_tokens(n, index) for n in names]
