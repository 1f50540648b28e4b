"""Cheap message passing over the bipartite playlist–track graph.

The default models propagate with one pre-normalised ``torch.sparse`` CSR matrix
(LightGCN's symmetric normalisation ``D^-1/2 A D^-1/2``): one sparse-dense product per
layer, 0.6–0.7 s per step at the reference study's graph size on a CPU, against 4–5.6 s
through PyG's ``edge_index`` message passing. The "gcn"/"sage" variants use PyG's
``GCNConv``/``SAGEConv`` (for the comparison table; slower, whole graph).

Node order in every matrix: playlists ``0..P-1``, then tracks ``P..P+T-1``.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import nn
from torch_geometric.nn import GCNConv, SAGEConv

from assistant.ml.graph import Interactions


def bipartite_edges(data: Interactions) -> tuple[np.ndarray, np.ndarray]:
    """Playlist node and track node (offset by P) of every edge, int64."""
    rows = data.playlist_of_edge()
    cols = data.indices.astype(np.int64) + data.n_playlists
    return rows, cols


def normalized_adjacency(data: Interactions, device: torch.device | str = "cpu") -> torch.Tensor:
    """The symmetric-normalised adjacency of the bipartite graph as sparse CSR.

    Isolated nodes get degree 1 (their rows stay empty), so nothing divides by zero.
    """
    n = data.n_playlists + data.n_tracks
    rows, cols = bipartite_edges(data)
    src = np.concatenate([rows, cols])
    dst = np.concatenate([cols, rows])
    deg = np.bincount(src, minlength=n).astype(np.float32)
    deg[deg == 0] = 1.0
    inv_sqrt = 1.0 / np.sqrt(deg)
    values = inv_sqrt[src] * inv_sqrt[dst]
    coo = torch.sparse_coo_tensor(
        torch.from_numpy(np.stack([src, dst])),
        torch.from_numpy(values.astype(np.float32)),
        (n, n),
        check_invariants=False,  # built from valid indices just above
    ).coalesce()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return coo.to_sparse_csr().to(device)


def _both_ways(rows: np.ndarray, cols: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
    """One relation's edges in both directions with symmetric-normalised values
    (degrees counted within the relation, so a popular relation does not drown another)."""
    deg = np.bincount(np.concatenate([rows, cols]), minlength=n).astype(np.float32)
    deg[deg == 0] = 1.0
    inv = 1.0 / np.sqrt(deg)
    values = inv[rows] * inv[cols]
    return (
        np.concatenate([rows, cols]),
        np.concatenate([cols, rows]),
        np.concatenate([values, values]),
    )


def hetero_adjacency(
    data: Interactions,
    playlist_tokens: list[np.ndarray],
    n_tokens: int,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """The content-aware model's graph: Σ over relations of each relation's normalised
    adjacency, as one sparse CSR over the nodes ``[playlists | tracks | artists | albums |
    name tokens]``.

    Relations: playlist–track, track–artist, track–album, playlist–name token. Summing
    the per-relation matrices into one CSR keeps one sparse product per layer (it *is*
    one product per relation, fused), so propagation costs the same per edge as LightGCN.

    Args:
        data: the graph with content (``artist_of``/``album_of``; without, those
            relations are empty).
        playlist_tokens: per playlist row, its name tokens' indices (0..n_tokens-1).
        n_tokens: the token vocabulary size.
    """
    P, T = data.n_playlists, data.n_tracks
    A, L = len(data.artist_uris), len(data.album_uris)
    n = P + T + A + L + n_tokens
    parts = [_both_ways(*bipartite_edges(data), n)]
    if data.has_content:
        for of, offset in ((data.artist_of, P + T), (data.album_of, P + T + A)):
            t = np.flatnonzero(of >= 0)
            parts.append(_both_ways(P + t, offset + of[t], n))
    if n_tokens and playlist_tokens:
        lengths = [len(x) for x in playlist_tokens]
        rows = np.repeat(np.arange(len(playlist_tokens), dtype=np.int64), lengths)
        cols = P + T + A + L + np.concatenate(playlist_tokens).astype(np.int64)
        parts.append(_both_ways(rows, cols, n))
    src = np.concatenate([p[0] for p in parts])
    dst = np.concatenate([p[1] for p in parts])
    val = np.concatenate([p[2] for p in parts]).astype(np.float32)
    coo = torch.sparse_coo_tensor(
        torch.from_numpy(np.stack([src, dst])),
        torch.from_numpy(val),
        (n, n),
        check_invariants=False,
    ).coalesce()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return coo.to_sparse_csr().to(device)


def edge_index(data: Interactions, device: torch.device | str = "cpu") -> torch.Tensor:
    """Both directions of every edge as a PyG ``edge_index`` [2, 2E]."""
    rows, cols = bipartite_edges(data)
    both = np.stack([np.concatenate([rows, cols]), np.concatenate([cols, rows])])
    return torch.from_numpy(both).to(device)


class _SymmetricSpMM(torch.autograd.Function):
    """``A @ x`` for a symmetric sparse A whose backward is ``A @ grad``.

    torch's generic CSR backward transposes A on every call; A is symmetric, so the
    gradient is one more product with A itself (measured: about 4× faster steps).
    """

    @staticmethod
    def forward(ctx, adj: torch.Tensor, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.adj = adj
        return torch.sparse.mm(adj, x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[None, torch.Tensor]:  # type: ignore[override]
        return None, torch.sparse.mm(ctx.adj, grad.contiguous())


def spmm(adj: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """One propagation step with the symmetric normalised adjacency."""
    return _SymmetricSpMM.apply(adj, x)


def propagate(adj: torch.Tensor, x: torch.Tensor, layers: int) -> list[torch.Tensor]:
    """LightGCN propagation: ``[x, Ax, A²x, ...]`` (layers + 1 tensors)."""
    out = [x]
    for _ in range(layers):
        out.append(spmm(adj, out[-1]))
    return out


class ConvStack(nn.Module):
    """GCNConv or SAGEConv layers with ReLU in between, returning every layer's output.

    Args:
        kind: "gcn" or "sage".
        dim: feature size (kept through the layers).
        layers: how many convolutions.
    """

    def __init__(self, kind: str, dim: int, layers: int) -> None:
        super().__init__()
        conv = {"gcn": lambda: GCNConv(dim, dim), "sage": lambda: SAGEConv(dim, dim)}[kind]
        self.convs = nn.ModuleList(conv() for _ in range(layers))

    def forward(self, x: torch.Tensor, edges: torch.Tensor) -> list[torch.Tensor]:
        out = [x]
        for i, conv in enumerate(self.convs):
            x = conv(x, edges)
            if i < len(self.convs) - 1:
                x = torch.relu(x)
            out.append(x)
        return out
