"""The shape of a recommender model and the choices of a training run, without importing
PyTorch (Geometric).

Kept apart from :mod:`assistant.ml.models` so that loading a checkpoint for inference
(the window's first recommendations) does not pay for importing ``torch_geometric``
(about 2.5 s on this machine): inference runs from tensors alone; and so that a front end
can offer the training choices (:class:`TrainConfig`) without importing torch at all.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from assistant.errors import InputError

ARCHITECTURES = ("lightgcn", "gat", "gat-mlp", "gcn", "sage")
BASELINES = ("popularity", "cooccurrence", "ease")
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

    def __post_init__(self) -> None:
        if self.name not in ARCHITECTURES:
            raise InputError(
                f"Unknown model {self.name!r}.", hint=f"Choose one of {', '.join(ARCHITECTURES)}."
            )

    @property
    def attention(self) -> bool:
        return self.name != "lightgcn"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run (the defaults are the app's default model)."""

    model: str = "gat-mlp"  # "lightgcn" | "gat" | "gat-mlp" | "gcn" | "sage"
    dim: int = 64
    layers: int = 2
    heads: int = 4
    epochs: int = 60  # an upper bound: early stopping ends most runs far sooner
    lr: float = 1e-2
    weight_decay: float = 1e-5
    batch_size: int = 256
    # Chosen on validation playlists of the MPD sample (README, results-quality): a
    # softmax over the catalog beat BPR with hard negatives by about 0.03 NDCG (gat-mlp).
    loss: str = "softmax"  # or "bpr"
    negatives: str = "hard"  # or "random" (BPR only: softmax has every track as negative)
    fold_in: bool = False  # each step's playlists leave the graph (as a new playlist would)
    hard_start_epoch: int = 3
    patience: int = 5
    monitor: str = "ndcg"
    seed: int = 0
    device: str = "auto"
    positional: bool = False
    cosine: bool = True
    learnable_alpha: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TrainConfig:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in raw.items() if k in known})
