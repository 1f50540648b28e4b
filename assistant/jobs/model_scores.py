"""How well a model does on *this* library: held-out playlists of the person's own sources.

Training holds out playlists of the sources it trains on (RecSys Challenge 2018 style:
seeds given, the rest of the playlist to be found; when the library has too few
playlists for that, the last tracks of each playlist are left out instead:
leave-n-out). After training, the new model, popularity and iALS, fitted on the same
training graph, and the model that was active are all scored on the *same* cases, so
"is the new model better?" has an honest answer before it replaces anything.

A model trained on another vocabulary (the active one, the bundled demo) is scored
through :class:`VocabularyScorer`: seeds it does not know are dropped, tracks it does
not know rank last; a model that knows none of this library scores 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.ml.graph import Interactions
from assistant.ml.split import Case

#: The metric every comparison, the done line and the live plot use.
PRIMARY_METRIC = "ndcg"
#: Below this many playlists, cases are leave-n-out within playlists.
MIN_PLAYLISTS_FOR_HOLDOUT = 20
LEAVE_OUT_FRACTION = 0.2
MIN_LENGTH_FOR_LEAVE_OUT = 4


@dataclass
class LibraryScores:
    """Scores on one library's held-out cases.

    Attributes:
        protocol: "held-out playlists" or "leave-n-out".
        cases: how many cases were scored.
        scores: {"new model" | "popularity" | "iALS" | "active model": {metric: mean}}.
        active_path: the checkpoint that was active when the run started ("" if none).
    """

    protocol: str
    cases: int
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    active_path: str = ""

    def primary(self, who: str) -> float | None:
        value = self.scores.get(who, {}).get(PRIMARY_METRIC)
        return None if value is None else float(value)

    @property
    def new_is_worse(self) -> bool:
        """The new model scores below the active one on these cases."""
        new, active = self.primary("new model"), self.primary("active model")
        return new is not None and active is not None and new < active

    def sentence(self) -> str:
        """One line for the train dialog and the CLI."""
        parts = [
            f"{who} {self.primary(who):.3f}"
            for who in ("new model", "active model", "iALS", "popularity")
            if self.primary(who) is not None
        ]
        return (
            f"NDCG on {self.cases} held-out cases of your library ({self.protocol}): "
            + ", ".join(parts)
            + "."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "cases": self.cases,
            "metric": PRIMARY_METRIC,
            "scores": self.scores,
            "active_path": self.active_path,
        }


def leave_n_out(data: Interactions, seed: int = 0) -> tuple[Interactions, list[Case]]:
    """Cases for a small library: each playlist of at least 4 tracks keeps its first 80%
    in the training graph (as seeds) and hides the rest (the targets)."""
    rng = np.random.default_rng(seed)
    rows: list[np.ndarray] = []
    cases: list[Case] = []
    for r in range(data.n_playlists):
        tracks = data.row(r)
        if len(tracks) < MIN_LENGTH_FOR_LEAVE_OUT:
            rows.append(tracks)
            continue
        n_out = max(1, round(len(tracks) * LEAVE_OUT_FRACTION))
        order = rng.permutation(len(tracks))
        hidden = np.sort(order[:n_out])
        keep = np.setdiff1d(np.arange(len(tracks)), hidden)
        rows.append(tracks[keep])
        cases.append(
            Case(r, int(data.playlist_ids[r]), tracks[keep], tracks[hidden], "leave-n-out")
        )
    lengths = np.fromiter((len(x) for x in rows), dtype=np.int64, count=len(rows))
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    indices = np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, np.int64)
    train = Interactions(indptr, indices, list(data.track_uris), data.playlist_ids.copy())
    train.names = list(data.names)
    return train, cases


class VocabularyScorer:
    """Scores a checkpoint's service on another graph's track indices.

    Args:
        service: a :class:`~assistant.ml.recommend.RecommenderService`.
        track_uris: the vocabulary of the cases (index → URI).
    """

    def __init__(self, service: Any, track_uris: Sequence[str]) -> None:
        self.name = service.model_name
        self.inference = service.inference
        index = {uri: i for i, uri in enumerate(service.track_uris)}
        # cases' index -> the service's index (-1: unknown to the service)
        self.to_service = np.fromiter(
            (index.get(u, -1) for u in track_uris), dtype=np.int64, count=len(track_uris)
        )
        self.known = self.to_service >= 0

    def score(self, seeds: Sequence[np.ndarray]) -> np.ndarray:
        mapped = [self.to_service[np.asarray(s, dtype=np.int64)] for s in seeds]
        mapped = [m[m >= 0] for m in mapped]
        out = np.full((len(seeds), len(self.to_service)), -1e9, dtype=np.float32)
        if not self.known.any():
            return out
        with_seeds = [i for i, m in enumerate(mapped) if len(m)]
        if with_seeds:
            scores = self.inference.score_batch([mapped[i] for i in with_seeds])
            for row, i in enumerate(with_seeds):
                out[i, self.known] = scores[row, self.to_service[self.known]]
        # A query the model knows nothing of: it cannot help (no popularity stand-in).
        return out

    def evaluate(self, cases: Sequence[Case]) -> dict[str, float]:
        """Mean metrics where only what the model can propose counts: tracks it does not
        know, and every track of a query it knows no seed of, are not predictions (with
        a catalog smaller than the 500 predictions, ranking them anyway would score
        hits by chance)."""
        from assistant.ml.evaluate import metrics_from_rankings, predict, summarize

        ranked = predict(self, cases)
        padding = ranked < 0
        unknown = ~self.known[np.where(padding, 0, ranked)] | padding
        for i, case in enumerate(cases):
            if not self.known[np.asarray(case.seeds, dtype=np.int64)].any():
                unknown[i] = True
        ranked = np.where(unknown, -1, ranked)
        return summarize(metrics_from_rankings(cases, ranked))


def score_models(
    train: Interactions,
    cases: Sequence[Case],
    protocol: str,
    *,
    new_model: Any | None = None,
    active_service: Any | None = None,
    active_path: str = "",
    seed: int = 0,
) -> LibraryScores:
    """Scores the new model, popularity, iALS and the active model on the same cases."""
    from assistant.ml.baselines import fit_ials, fit_popularity
    from assistant.ml.evaluate import evaluate

    scored = [c for c in cases if len(c.targets)]
    result = LibraryScores(protocol, len(scored), active_path=active_path)
    if not scored:
        return result
    scorers: dict[str, Any] = {"popularity": fit_popularity(train)}
    if train.n_edges and train.n_tracks > 1:
        factors = max(8, min(64, train.n_tracks // 4))
        scorers["iALS"] = fit_ials(
            train, factors=factors, regularization=0.01, iterations=15, alpha=40.0, seed=seed
        )
    if new_model is not None:
        scorers["new model"] = new_model
    if active_service is not None:
        scorers["active model"] = VocabularyScorer(active_service, train.track_uris)
    for who, scorer in scorers.items():
        if isinstance(scorer, VocabularyScorer):
            metrics = scorer.evaluate(scored)
        else:
            metrics = evaluate(scorer, scored)
        result.scores[who] = {k: round(float(v), 6) for k, v in metrics.items()}
    return result
