"""The shape of a recommender model, without importing PyTorch Geometric.

Kept apart from :mod:`assistant.ml.models` so that loading a checkpoint for inference
(the window's first recommendations) does not pay for importing ``torch_geometric``
(about 2.5 s on this machine): inference runs from tensors alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from assistant.errors import InputError

ARCHITECTURES = ("hgat", "lightgcn", "gat", "gat-mlp", "gcn", "sage")
#: The content-aware model: heterogeneous graph + candidate-aware attention readout.
CONTENT_MODEL = "hgat"
#: The track-only models (one attention per playlist, full-catalogue scores).
TRACK_ONLY_ARCHITECTURES = tuple(a for a in ARCHITECTURES if a != CONTENT_MODEL)
TAU_MIN, TAU_MAX, TAU_INIT = 1.0, 30.0, 10.0
MAX_POSITION = 256  # positions beyond this share the last positional embedding


@dataclass
class ModelSpec:
    """Everything needed to rebuild a model's shape.

    Attributes:
        name: one of :data:`ARCHITECTURES`.
        n_playlists: training-graph playlist nodes (propagation only).
        n_tracks: the track vocabulary size.
        dim: embedding size.
        layers: propagation layers.
        heads: attention heads of the readout (GAT models).
        cosine: bound scores with normalised messages/keys and a clamped temperature.
        learnable_alpha: learn the layer-combination weights (gat-mlp).
        positional: add a learned embedding of a seed's position in its playlist.
        n_artists / n_albums / n_tokens: content nodes of the heterogeneous graph
            (the "hgat" model; 0 for the others).
    """

    name: str
    n_playlists: int
    n_tracks: int
    dim: int = 64
    layers: int = 2
    heads: int = 4
    cosine: bool = True
    learnable_alpha: bool = True
    positional: bool = False
    n_artists: int = 0
    n_albums: int = 0
    n_tokens: int = 0

    def __post_init__(self) -> None:
        if self.name not in ARCHITECTURES:
            raise InputError(
                f"Unknown model {self.name!r}.", hint=f"Choose one of {', '.join(ARCHITECTURES)}."
            )

    @property
    def attention(self) -> bool:
        return self.name != "lightgcn"

    @property
    def content(self) -> bool:
        """Whether this is the content-aware, candidate-attention model."""
        return self.name == CONTENT_MODEL

    def to_dict(self) -> dict:
        return asdict(self)
