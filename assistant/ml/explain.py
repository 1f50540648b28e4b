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

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

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
