"""BPR training of the GNN recommenders, with early stopping, progress and cancel.

Each step: propagate the whole training graph once (cheap sparse products), split each
playlist of the batch into seeds and targets at random (:mod:`assistant.ml.sampling`),
read the playlists out from their seeds, and push every target above a negative track
(``loss="bpr"``) or above every track the playlist does not hold (``loss="softmax"``,
a cross-entropy over the whole catalog: one ``[B, n_tracks]`` product per step, which
the hard negatives compute anyway). With ``fold_in=True`` each step's playlists leave
the graph entirely, as a playlist the model never saw would. Early stopping keeps the best epoch by the validator's ``monitor`` metric. Same
seed, same data, same device → same losses (on the CPU).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from assistant.errors import InputError, TrainingError
from assistant.ml.device import resolve_device, set_threads
from assistant.ml.distributed import World
from assistant.ml.graph import Interactions
from assistant.ml.hetero import (
    ContentRecommender,
    build_content_model,
    encode_tokens,
    token_vocabulary,
)
from assistant.ml.inference import ContentInference, InferenceModel
from assistant.ml.models import ARCHITECTURES, ModelSpec, PlaylistRecommender
from assistant.ml.propagation import edge_index, hetero_adjacency, normalized_adjacency
from assistant.ml.sampling import (
    Batch,
    EpochSplit,
    Negatives,
    content_candidates,
    content_loss,
    hard_negatives,
    make_batch,
    make_padded_batch,
    random_negatives,
    sampled_candidates,
    sampled_softmax_loss,
    split_epoch,
)
from assistant.ml.spec import TrainConfig
from assistant.progress import CancelToken, ProgressCallback, Reporter

MLP_LR_SCALE = 0.1

Validator = Callable[[Any], dict[str, float]]


class GnnScorer:
    """A trained model as a :class:`~assistant.ml.base.Scorer` over its vocabulary.

    Attributes:
        name: the architecture ("gat-mlp", ...).
        spec: the model's shape.
        inference: the per-track tensors and the query-time math.
        track_uris: index → URI.
        tensors: the inference tensors (what a checkpoint stores).
        metadata: vocabularies a checkpoint stores beside them (content model: ``tokens``,
            ``artist_uris``, ``album_uris``).
    """

    def __init__(
        self,
        spec: ModelSpec,
        tensors: dict[str, torch.Tensor],
        track_uris: Sequence[str],
        popularity: torch.Tensor,
        device: torch.device | str = "cpu",
        *,
        metadata: dict[str, Any] | None = None,
        candidates: int = 1000,
    ) -> None:
        self.name = spec.name
        self.spec = spec
        self.tensors = tensors
        self.popularity = popularity
        self.track_uris = list(track_uris)
        self.metadata = dict(metadata or {})
        self.uses_names = spec.content
        self.inference: InferenceModel | ContentInference
        if spec.content:
            self.inference = ContentInference(
                tensors, popularity=popularity, candidates=candidates, device=device
            )
            self._token_index = {w: i for i, w in enumerate(self.metadata.get("tokens", []))}
        else:
            self.inference = InferenceModel(
                tensors,
                heads=spec.heads,
                cosine=spec.cosine and spec.attention,
                popularity=popularity,
                device=device,
            )

    def score(self, seeds: Sequence[np.ndarray], names: Sequence[str] | None = None) -> np.ndarray:
        """Scores [len(seeds), n_tracks]; a query without seeds gets popularity.

        For the content model (two-stage), the re-ranked candidates carry their final
        scores and every other track its retrieval score shifted below them, so the
        ranking of the first ``candidates`` tracks is the model's own.
        """
        if not self.spec.content:
            return self.inference.score_batch([np.asarray(s, dtype=np.int64) for s in seeds])
        assert isinstance(self.inference, ContentInference)
        tokens = [
            encode_tokens(names[i] if names else "", self._token_index) for i in range(len(seeds))
        ]
        return self.inference.score_batch(seeds, tokens)


@dataclass
class TrainResult:
    """What :func:`train` returns."""

    model: GnnScorer
    history: list[dict[str, float]]
    best_epoch: int
    metrics: dict[str, float]
    device: str
    config: TrainConfig
    seconds: float = 0.0
    module: PlaylistRecommender | ContentRecommender | None = field(default=None, repr=False)


def popularity_scores(data: Interactions) -> torch.Tensor:
    """log(1 + degree): the fallback score of a query with no known seed."""
    return torch.from_numpy(np.log1p(data.track_degrees()).astype(np.float32))


def attach_graph(
    model: PlaylistRecommender | ContentRecommender, data: Interactions, device: torch.device
) -> None:
    """Gives the model ``data``'s graph in the form its propagation uses."""
    if isinstance(model, ContentRecommender):
        tokens = getattr(model, "playlist_tokens", [])
        model.attach(hetero_adjacency(data, tokens, model.spec.n_tokens, device))
    elif model.spec.name in ("gcn", "sage"):
        model.attach(edge_index(data, device))
    else:
        model.attach(normalized_adjacency(data, device))


def epoch_graph(data: Interactions, train_rows: np.ndarray, split: EpochSplit) -> Interactions:
    """The message-passing graph of an epoch: training playlists keep only their seeds."""
    rows = data.rows()
    for i, seed_pos in zip(train_rows, split.seed_pos, strict=True):
        rows[i] = rows[i][seed_pos]
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=indptr[1:])
    return data.with_rows(indptr, np.concatenate(rows))


def without_rows(data: Interactions, drop: np.ndarray) -> Interactions:
    """``data`` with the given playlists' edges removed (their nodes stay, isolated)."""
    lengths = data.lengths().copy()
    lengths[drop] = 0
    keep = np.ones(len(data.indices), dtype=bool)
    for i in drop:
        keep[data.indptr[i] : data.indptr[i + 1]] = False
    indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    return data.with_rows(indptr, data.indices[keep])


def build_model(
    data: Interactions, config: TrainConfig, device: torch.device
) -> PlaylistRecommender | ContentRecommender:
    """A fresh model for ``data`` with its (full) graph attached.

    The content model also gets ``tokens`` (its name-token vocabulary, from ``data``'s
    names) and ``playlist_tokens`` (each row's token indices) as attributes.
    """
    if config.model == "hgat":
        tokens = token_vocabulary(data.names) if data.names else []
        spec = ModelSpec(
            name=config.model,
            n_playlists=data.n_playlists,
            n_tracks=data.n_tracks,
            dim=config.dim,
            layers=config.layers,
            heads=1,
            n_artists=len(data.artist_uris) if data.has_content else 0,
            n_albums=len(data.album_uris) if data.has_content else 0,
            n_tokens=len(tokens),
        )
        content, playlist_tokens = build_content_model(data, spec, tokens, device)
        content.tokens = tokens  # type: ignore[assignment]
        content.playlist_tokens = playlist_tokens  # type: ignore[assignment]
        return content
    spec = ModelSpec(
        name=config.model,
        n_playlists=data.n_playlists,
        n_tracks=data.n_tracks,
        dim=config.dim,
        layers=config.layers,
        heads=config.heads,
        cosine=config.cosine,
        learnable_alpha=config.learnable_alpha,
        positional=config.positional,
    )
    model = PlaylistRecommender(spec).to(device)
    attach_graph(model, data, device)
    return model


def scorer_of(
    model: PlaylistRecommender | ContentRecommender,
    data: Interactions,
    popularity: torch.Tensor,
    candidates: int = 1000,
) -> GnnScorer:
    """The current weights as a Scorer (what validation and checkpoints see)."""
    was_training = model.training
    model.eval()
    tensors = model.inference_tensors()
    model.train(was_training)
    metadata: dict[str, Any] = {}
    if isinstance(model, ContentRecommender):
        metadata = {
            "tokens": list(getattr(model, "tokens", [])),
            "artist_uris": list(data.artist_uris),
            "album_uris": list(data.album_uris),
        }
    return GnnScorer(
        model.spec, tensors, data.track_uris, popularity, metadata=metadata, candidates=candidates
    )


def softmax_loss(scores: torch.Tensor, batch: Batch, pos_s: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of each positive against every track its playlist does not hold.

    Args:
        scores: [B, n_tracks] for the step's queries.
        batch: the step's queries (``known`` tracks are masked: neither negatives nor
            competing positives).
        pos_s: the score of every (query, positive) pair [N].
    """
    mask = torch.zeros_like(scores, dtype=torch.bool)
    for q, known in enumerate(batch.known):
        mask[q, torch.from_numpy(known).to(scores.device)] = True
    lse = torch.logsumexp(scores.masked_fill(mask, -torch.inf), dim=1)  # [B]
    total = torch.logaddexp(lse[batch.query], pos_s)
    return (total - pos_s).mean()


def _content_step(
    model: ContentRecommender,
    split: EpochSplit,
    idx: np.ndarray,
    row_tokens: list[np.ndarray],
    config: TrainConfig,
    negatives: Negatives,
    rng: np.random.Generator,
    device: torch.device,
) -> torch.Tensor:
    """One sampled-softmax step of the content model (memory O(B·C·S), not O(catalogue))."""
    batch = make_padded_batch(split, idx, row_tokens, rng).to(device)
    pos, pos_q, neg, neg_q = content_candidates(batch, negatives, config.sampled, rng)
    h, token_m = model.representations()
    pos_s = model.terms(h, token_m, pos.to(device), batch.seeds, batch.tokens).total()
    neg_s = model.terms(h, token_m, torch.from_numpy(neg).to(device), batch.seeds, batch.tokens)
    return content_loss(pos_s, pos, pos_q, neg_s.total(), neg, neg_q, batch.known)


def _check_config(config: TrainConfig) -> None:
    if config.model not in ARCHITECTURES:
        raise InputError(
            f"Unknown model {config.model!r}.", hint=f"Choose one of {', '.join(ARCHITECTURES)}."
        )
    if config.negatives not in ("hard", "random"):
        raise InputError(f"Unknown negatives {config.negatives!r}.", hint="Use hard or random.")
    if config.loss not in ("bpr", "softmax", "sampled"):
        raise InputError(f"Unknown loss {config.loss!r}.", hint="Use sampled, softmax or bpr.")
    if config.model == "hgat" and config.loss != "sampled":
        raise InputError(
            "The hgat model trains with the sampled softmax only (its attention depends on "
            "the candidate, so it cannot score the whole catalogue every step).",
            hint="Use --loss sampled, or another model for softmax/bpr.",
        )
    if config.epochs < 1 or config.dim < 1 or config.batch_size < 1:
        raise InputError("epochs, dim and batch size must be at least 1.")


def _finite(name: str, value: torch.Tensor, epoch: int) -> None:
    if not bool(torch.isfinite(value).all()):
        raise TrainingError(
            f"Training diverged at epoch {epoch}: the {name} became NaN or infinite.",
            hint="Nothing was saved and the previous model is kept. Lower the learning "
            "rate (e.g. 1e-3) or keep cosine scores on, then train again.",
        )


def train(
    data: Interactions,
    config: TrainConfig,
    *,
    validator: Validator | None = None,
    report: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    world: World | None = None,
) -> TrainResult:
    """Trains one model on the playlists of ``data``.

    Args:
        data: the training graph (playlists with fewer than two tracks are only graph).
        config: hyper-parameters.
        validator: called with a Scorer after every epoch; returns metrics including
            ``config.monitor``. Without one, the epoch with the lowest loss is kept.
        report: progress callback (stage "train", unit "epochs", metrics per epoch).
        cancel: polled every step; a cancel raises :class:`~assistant.errors.Cancelled`.
        world: the torchrun processes this one trains with (each step's playlists are
            sharded across them, DDP averages the gradients): see ``ml.distributed``.

    Raises:
        TrainingError: the loss or the scores became NaN/inf.
        Cancelled: the token was cancelled.
    """
    _check_config(config)
    set_threads()
    device = resolve_device(config.device)
    device = world.device(device) if world else device
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    train_rows = np.flatnonzero(data.lengths() >= 2)
    rows = [data.row(int(i)) for i in train_rows]
    if not rows:
        raise TrainingError(
            "No playlist has two or more tracks to learn from.",
            hint="Import more playlists (MPD slices, CSV or Spotify) and train again.",
        )
    model = build_model(data, config, device)
    synced = world.wrap(model, device) if world else None
    popularity = popularity_scores(data)
    negatives = Negatives.of(data.track_degrees(), config.sample_power)
    row_tokens = [
        getattr(model, "playlist_tokens", [np.zeros(0, np.int64)] * data.n_playlists)[int(i)]
        for i in train_rows
    ]
    # The shared MLP refinements see every node each step; at the embeddings' learning
    # rate they overfit within a few epochs (gat-mlp on the MPD sample), so they learn slower.
    mlp = [p for n, p in model.named_parameters() if n.startswith("mlps.") and p.requires_grad]
    rest = [p for n, p in model.named_parameters() if not n.startswith("mlps.") and p.requires_grad]
    groups = [{"params": rest}] + ([{"params": mlp, "lr": config.lr * MLP_LR_SCALE}] if mlp else [])
    opt = torch.optim.Adam(groups, lr=config.lr, weight_decay=config.weight_decay)
    reporter = Reporter(report, "train", total=config.epochs, unit="epochs", interval=0.5)
    steps = math.ceil(len(rows) / config.batch_size)
    history: list[dict[str, float]] = []
    best: tuple[float, int, dict[str, torch.Tensor], dict[str, float]] | None = None
    bad_epochs = 0
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        t0 = time.perf_counter()
        model.train()
        rng = world.epoch_rng(config.seed, epoch) if world else rng
        order = rng.permutation(len(rows))
        split = split_epoch(rows, rng)
        if not config.fold_in:
            attach_graph(model, epoch_graph(data, train_rows, split), device)
        hard = config.negatives == "hard" and epoch >= config.hard_start_epoch
        total_loss = 0.0
        for step in range(steps):
            if cancel is not None:
                cancel.raise_if_cancelled()
            idx = order[step * config.batch_size : (step + 1) * config.batch_size]
            if synced is not None:
                idx = synced.step(idx)  # this rank's share; arms DDP's gradient averaging
            if config.fold_in:
                attach_graph(model, without_rows(data, train_rows[idx]), device)
            if isinstance(model, ContentRecommender):
                loss = _content_step(model, split, idx, row_tokens, config, negatives, rng, device)
            else:
                batch = make_batch(split, idx, rng).to(device)
                h = model.track_representations()
                z, _ = model.readout(h, batch.seeds, batch.batch, batch.n_queries, batch.positions)
                keys, bias = model.keys(h), model.biases()
                zq = z[batch.query]
                pos_s = (zq * keys[batch.positive]).sum(-1) + bias[batch.positive]
                _finite("scores", pos_s, epoch)
                if config.loss == "softmax":
                    loss = softmax_loss(z @ keys.T + bias, batch, pos_s)
                elif config.loss == "sampled":
                    pos_np = batch.positive.cpu().numpy()
                    cand, log_q = sampled_candidates(pos_np, negatives, config.sampled, rng)
                    cand_t = torch.from_numpy(cand).to(device)
                    scores = z @ keys[cand_t].T + bias[cand_t]
                    loss = sampled_softmax_loss(
                        scores, cand, log_q, batch.query, batch.positive, batch.known
                    )
                else:
                    if hard:
                        with torch.no_grad():
                            full = z @ keys.T + bias
                        _finite("scores", full, epoch)
                        neg = hard_negatives(batch, full, rng)
                    else:
                        neg = random_negatives(batch, data.n_tracks, rng)
                    neg_t = torch.from_numpy(neg).to(device)
                    neg_s = (zq * keys[neg_t]).sum(-1) + bias[neg_t]
                    _finite("scores", neg_s, epoch)
                    loss = -F.logsigmoid(pos_s - neg_s).mean()
            _finite("loss", loss, epoch)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total_loss += float(loss.detach())
            reporter.update(
                epoch - 1,
                message=f"epoch {epoch} step {step + 1}/{steps}",
                metrics={"loss": total_loss / (step + 1)},
            )
        attach_graph(model, data, device)  # validation and inference see every edge
        entry: dict[str, float] = {"epoch": epoch, "loss": total_loss / steps}
        metrics: dict[str, float] = {}
        if validator is not None:
            metrics = {
                k: float(v)
                for k, v in validator(scorer_of(model, data, popularity, config.candidates)).items()
            }
            if config.monitor not in metrics:
                raise InputError(
                    f"The validator gives no {config.monitor!r} metric.",
                    hint=f"Monitor one of {', '.join(sorted(metrics))}.",
                )
            value = metrics[config.monitor]
        else:
            value = -entry["loss"]
        if not math.isfinite(value):
            raise TrainingError(
                f"Validation gave a non-finite {config.monitor} at epoch {epoch}.",
                hint="Nothing was saved. Lower the learning rate and train again.",
            )
        entry.update(metrics)
        entry["seconds"] = time.perf_counter() - t0
        history.append(entry)
        if best is None or value > best[0] + 1e-9:
            state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            best = (value, epoch, state, metrics)
            bad_epochs = 0
        else:
            bad_epochs += 1
        reporter.finish(
            epoch,
            message=f"epoch {epoch}/{config.epochs}",
            metrics={k: v for k, v in entry.items() if k != "epoch"},
        )
        if bad_epochs >= config.patience:
            break
    assert best is not None
    model.load_state_dict(best[2])
    return TrainResult(
        model=scorer_of(model, data, popularity, config.candidates),
        history=history,
        best_epoch=best[1],
        metrics=dict(best[3]) or {"loss": history[best[1] - 1]["loss"]},
        device=str(device),
        config=copy.deepcopy(config),
        seconds=time.perf_counter() - start,
        module=model,
    )
