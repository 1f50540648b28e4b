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

ARCHITECTURES = ("hgat", "lightgcn", "gat", "gat-mlp", "gcn", "sage")
#: The content-aware model: heterogeneous graph + candidate-aware attention readout.
CONTENT_MODEL = "hgat"
#: The track-only models (one attention per playlist, full-catalogue scores).
TRACK_ONLY_ARCHITECTURES = tuple(a for a in ARCHITECTURES if a != CONTENT_MODEL)
BASELINES = ("popularity", "cooccurrence", "ease", "ials")
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


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run (the defaults are the app's default model)."""

    model: str = "hgat"  # "hgat" | "lightgcn" | "gat" | "gat-mlp" | "gcn" | "sage"
    dim: int = 64
    layers: int = 2
    heads: int = 4
    epochs: int = 60  # an upper bound: early stopping ends most runs far sooner
    lr: float = 1e-2
    weight_decay: float = 1e-5
    batch_size: int = 256
    # "sampled": a softmax over the step's positives (in-batch negatives) plus
    # popularity-sampled tracks with the log-Q correction; memory per step does not grow
    # with the catalogue, and it is the only loss the candidate-aware "hgat" can afford.
    # "softmax" (the whole catalogue) and "bpr" remain for the other models.
    loss: str = "sampled"  # or "softmax" or "bpr"
    # 500 vs 1000 on validation: NDCG 0.167 vs 0.165 after 2 epochs; 500 costs less.
    sampled: int = 500  # popularity-sampled negatives per step (loss "sampled")
    sample_power: float = 0.75  # sampling ∝ degree^power
    candidates: int = 1000  # hgat: tracks re-ranked by the attention (stage 2)
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
