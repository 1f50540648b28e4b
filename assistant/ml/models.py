"""The GNN recommenders: LightGCN, GAT, GAT+MLP (and GCN/SAGE propagation variants).

Every model scores a playlist *from its seed tracks*: the playlist's representation is
an aggregate over its tracks' representations, so a playlist the model never saw (a
Spotify one, a half-written one) is scored without retraining (fold-in by construction).

Two halves:

* **Track side** (:meth:`PlaylistRecommender.track_representations`): learned track (and
  training-playlist) embeddings propagated over the bipartite graph — cheaply with a
  pre-normalised sparse adjacency, or with PyG ``GCNConv``/``SAGEConv`` for the
  comparison variants. "gat-mlp" refines each layer's output with a residual MLP and
  combines layers with weights ``alpha`` (uniform, or a learnable softmax). Playlist
  nodes take part in propagation only; the score never uses their embeddings.
* **Readout** (:meth:`PlaylistRecommender.readout`): where attention is paid. LightGCN
  averages the seed representations. The GAT models run PyG ``GATConv`` on the
  bipartite edges seed track → query node (the query is the mean of the seed
  representations) and read the per-head attention weights ``α``. The score is
  ``b_t + <z_p, k_t>`` with ``z_p = (1/H) Σ_h Σ_j α^h_pj m^h_j``; every nonlinearity sits
  on the per-track side, so the score splits *exactly* into one term per seed track
  (see :mod:`assistant.ml.inference`).

Bounded scores (``cosine=True``): messages ``m^h_j`` and keys ``k_t`` are L2-normalised
and the key is scaled by a learnable temperature τ clamped to ``[TAU_MIN, TAU_MAX]``, so
``|score - b_t| ≤ τ`` whatever the weights do (GAT outputs drift otherwise).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.nn import GATConv
from torch_geometric.utils import scatter

from assistant.ml.propagation import ConvStack, propagate
from assistant.ml.spec import (  # noqa: F401  (re-exported: the public model API)
    ARCHITECTURES,
    CONTENT_MODEL,
    MAX_POSITION,
    TAU_INIT,
    TAU_MAX,
    TAU_MIN,
    TRACK_ONLY_ARCHITECTURES,
    ModelSpec,
)


class PlaylistRecommender(nn.Module):
    """Scores tracks for playlists given by their seed tracks.

    Args:
        spec: the model's shape and options.
    """

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__()
        self.spec = spec
        d = spec.dim
        self.track_emb = nn.Embedding(spec.n_tracks, d)
        self.playlist_emb = nn.Embedding(max(spec.n_playlists, 1), d)
        nn.init.normal_(self.track_emb.weight, std=0.1)
        nn.init.normal_(self.playlist_emb.weight, std=0.1)
        self.graph: torch.Tensor | None = None  # sparse adjacency or edge_index, not saved
        self.active: torch.Tensor | None = None  # per track: has an edge in the graph
        if spec.name in ("gcn", "sage"):
            self.convs = ConvStack(spec.name, d, spec.layers)
        if spec.name == "gat-mlp":
            self.mlps = nn.ModuleList(
                nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, d))
                for _ in range(spec.layers)
            )
            for mlp in self.mlps:  # refinements start as the identity (stable start)
                nn.init.zeros_(mlp[2].weight)
                nn.init.zeros_(mlp[2].bias)
            self.alpha_logits = nn.Parameter(
                torch.zeros(spec.layers + 1), requires_grad=spec.learnable_alpha
            )
        if spec.attention:
            # add_self_loops=False: the query node is not a seed; bias=False: the bias
            # would be one more term outside the per-neighbour decomposition.
            self.gat = GATConv(
                d, d, heads=spec.heads, concat=False, add_self_loops=False, bias=False
            )
            self.key = nn.Linear(d, d, bias=False)
            self.bias = nn.Embedding(spec.n_tracks, 1)
            nn.init.zeros_(self.bias.weight)
            self.log_tau = nn.Parameter(torch.tensor(float(TAU_INIT)).log())
        if spec.positional:
            self.pos_emb = nn.Embedding(MAX_POSITION, d)
            nn.init.zeros_(self.pos_emb.weight)

    def attach(self, graph: torch.Tensor) -> None:
        """Sets the training graph: a sparse adjacency, or an edge_index for gcn/sage.

        Also records which tracks have an edge in it (:attr:`active`): a track without
        one was never seen in a training playlist, so its representation is an untrained
        embedding that carries no information; the readout ignores such seeds.
        """
        self.graph = graph
        n, p = self.spec.n_tracks, self.spec.n_playlists
        if graph.layout == torch.sparse_csr:
            degree = graph.crow_indices().diff()[p:]
        else:
            degree = torch.bincount(graph[0], minlength=p + n)[p:]
        self.active = degree > 0

    # -- track side ----------------------------------------------------------------

    def layer_weights(self) -> torch.Tensor:
        """The layer-combination weights alpha (sum to 1)."""
        if self.spec.name == "gat-mlp":
            return torch.softmax(self.alpha_logits, dim=0)
        return torch.full((self.spec.layers + 1,), 1.0 / (self.spec.layers + 1))

    def track_representations(self) -> torch.Tensor:
        """Propagated track representations h [n_tracks, dim]."""
        if self.graph is None:
            raise RuntimeError("attach() the training graph first")
        x = torch.cat([self.playlist_emb.weight[: self.spec.n_playlists], self.track_emb.weight])
        if self.spec.name in ("gcn", "sage"):
            outs = self.convs(x, self.graph)
        elif self.spec.name == "gat-mlp":
            # Propagation stays linear (LightGCN); each layer's output gets a residual
            # MLP refinement before the layer combination. Refining inside the recursion
            # (feeding MLP outputs to the next layer) overfit badly on the MPD sample.
            outs = propagate(self.graph, x, self.spec.layers)
            outs = [outs[0]] + [y + mlp(y) for y, mlp in zip(outs[1:], self.mlps, strict=True)]
        else:
            outs = propagate(self.graph, x, self.spec.layers)
        w = self.layer_weights().to(x.device)
        h = sum(w[i] * o for i, o in enumerate(outs))
        return h[self.spec.n_playlists :]

    def tau(self) -> torch.Tensor:
        """The score temperature, clamped so that ``|score - bias| ≤ TAU_MAX``."""
        return self.log_tau.exp().clamp(TAU_MIN, TAU_MAX)

    def keys(self, h: torch.Tensor) -> torch.Tensor:
        """Per-track keys k_t [n_tracks, dim], the temperature folded in."""
        if not self.spec.attention:
            return h
        k = self.key(h)
        if self.spec.cosine:
            k = F.normalize(k, dim=-1) * self.tau()
        return k

    def biases(self) -> torch.Tensor:
        """Per-track biases b_t [n_tracks] (zero for LightGCN)."""
        if not self.spec.attention:
            return torch.zeros(self.spec.n_tracks, device=self.track_emb.weight.device)
        return self.bias.weight[:, 0]

    # -- readout -------------------------------------------------------------------

    def readout(
        self,
        h: torch.Tensor,
        seeds: torch.Tensor,
        batch: torch.Tensor,
        n_queries: int,
        positions: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Playlist representations from their seeds.

        Args:
            h: track representations [n_tracks, dim].
            seeds: track index of every seed, int64 [E] (all queries concatenated).
            batch: the query of every seed, int64 [E] (every query has at least one).
            n_queries: B.
            positions: each seed's position in its playlist (used when positional).

        Returns:
            z [B, dim] and the attention weights per seed and head [E, H] (1/|S| for
            LightGCN, one head).
        """
        x = h[seeds]
        if self.spec.positional and positions is not None:
            x = x + self.pos_emb(positions.clamp(max=MAX_POSITION - 1))
        # Seeds without an edge in the graph get no weight (see attach); a query with no
        # active seed reads out z = 0, so its scores are the biases alone.
        keep = self.active[seeds] if self.active is not None else torch.ones_like(seeds).bool()
        w = keep.to(x.dtype)
        counts = scatter(w, batch, 0, dim_size=n_queries)
        if not self.spec.attention:
            alpha = (w / counts[batch].clamp(min=1.0)).unsqueeze(1)
            return scatter(x * alpha, batch, 0, dim_size=n_queries, reduce="sum"), alpha
        query = scatter(x * w.unsqueeze(1), batch, 0, dim_size=n_queries)
        query = query / counts.clamp(min=1.0).unsqueeze(1)
        kept = torch.nonzero(keep).squeeze(1)
        edges = torch.stack([kept, batch[kept]])
        out, (_, alpha_kept) = self.gat((x, query), edges, return_attention_weights=True)
        alpha = x.new_zeros(len(seeds), self.spec.heads)
        alpha[kept] = alpha_kept
        if not self.spec.cosine:
            return out, alpha  # GATConv's own output: (1/H) Σ_h Σ_j α W^h x_j
        H, d = self.spec.heads, self.spec.dim
        messages = F.normalize(self.gat.lin(x).view(-1, H, d), dim=-1)
        z = scatter(alpha.unsqueeze(-1) * messages, batch, 0, dim_size=n_queries, reduce="sum")
        return z.mean(dim=1), alpha

    def forward(
        self,
        seeds: torch.Tensor,
        batch: torch.Tensor,
        n_queries: int,
        positions: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Scores of every track for B seed sets [B, n_tracks]."""
        h = self.track_representations()
        z, _ = self.readout(h, seeds, batch, n_queries, positions)
        return z @ self.keys(h).T + self.biases()

    # -- inference -----------------------------------------------------------------

    @torch.no_grad()
    def inference_tensors(self) -> dict[str, torch.Tensor]:
        """What a query needs per track, precomputed (see :class:`explain.InferenceModel`)."""
        h = self.track_representations()
        tensors = {"h": h, "keys": self.keys(h), "bias": self.biases()}
        if self.active is not None:
            tensors["active"] = self.active.float()
        if self.spec.attention:
            tensors["lin"] = self.gat.lin.weight  # [H*d, d]
            tensors["att_src"] = self.gat.att_src[0]  # [H, d]
            tensors["att_dst"] = self.gat.att_dst[0]
        if self.spec.positional:
            tensors["pos"] = self.pos_emb.weight
        return {k: v.detach().float().cpu().contiguous() for k, v in tensors.items()}
