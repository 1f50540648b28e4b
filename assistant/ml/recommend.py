"""The recommender service: load a checkpoint once, then score seed sets cheaply.

``RecommenderService.recommend`` = attention over the seeds + one matrix–vector product
over every track + a top-k by ``argpartition``; explanations for the k winners come from
the same attention (:mod:`assistant.ml.inference`), so ``bias + Σ contribution == score``
for every recommendation. Qt-free; the GUI keeps one service per checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from assistant.domain import Reason, Recommendation
from assistant.ml import checkpoint as ckpt
from assistant.ml.device import resolve_device
from assistant.ml.inference import ContentInference, InferenceModel
from assistant.ml.spec import ModelSpec

TERM_FIELDS = ("bias", "seed", "alpha", "artist", "album", "name")

#: Reason kinds: a seed track, a shared artist, a shared album, a playlist-name token.
KINDS = ("seed", "artist", "album", "name")


def make_reason(reference: str, attention: float, contribution: float, kind: str) -> Reason:
    """One explanation item: ``reference`` is the seed's track URI, the artist or album
    URI, or the name token; ``attention`` is the seed's weight for this candidate (0 for
    the content terms, which are not attention)."""
    return Reason(reference, attention, contribution, kind=kind)


@dataclass
class RecommendResult:
    """What one query returns.

    Attributes:
        model: the architecture that scored it.
        recommendations: rank from 1; ``bias + Σ reasons.contribution == score``.
        unknown_seeds: seed URIs the model does not know (reported, not silently dropped).
        seeds: the seed URIs the model used.
    """

    model: str
    recommendations: list[Recommendation]
    unknown_seeds: list[str]
    seeds: list[str] = field(default_factory=list)


class RecommenderService:
    """Scores seed sets with one checkpoint's inference tensors.

    Build it with :meth:`load` (a checkpoint file), :meth:`from_scorer` (a freshly
    trained model) or :meth:`random` (synthetic tensors for benchmarks).
    """

    def __init__(
        self,
        model_name: str,
        spec: ModelSpec,
        tensors: dict[str, torch.Tensor],
        track_uris: Sequence[str],
        *,
        checkpoint_path: str = "",
        metadata: dict[str, Any] | None = None,
        device: str = "cpu",
        candidates: int = 1000,
    ) -> None:
        self.model_name = model_name
        self.spec = spec
        self.checkpoint_path = checkpoint_path
        self.metadata = metadata or {}
        dev = resolve_device(device)
        self.device = str(dev)
        self.track_uris = list(track_uris)
        self._index = {uri: i for i, uri in enumerate(self.track_uris)}
        self.inference: InferenceModel | ContentInference
        rest = {k: v for k, v in tensors.items() if k != "popularity"}
        if spec.content:
            self.inference = ContentInference(
                rest, popularity=tensors["popularity"], candidates=candidates, device=dev
            )
        else:
            self.inference = InferenceModel(
                rest,
                heads=spec.heads,
                cosine=spec.cosine and spec.attention,
                popularity=tensors["popularity"],
                device=dev,
            )
        meta = self.metadata
        self.tokens: list[str] = list(meta.get("tokens", []))
        self._token_index = {w: i for i, w in enumerate(self.tokens)}
        self.artist_uris: list[str] = list(meta.get("artist_uris", []))
        self.album_uris: list[str] = list(meta.get("album_uris", []))

    # -- construction ----------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> RecommenderService:
        """Loads a checkpoint (refusing corrupt or foreign files, see :mod:`checkpoint`)."""
        loaded = ckpt.load(path)
        spec = ModelSpec(**loaded.metadata["spec"])
        return cls(
            loaded.model,
            spec,
            loaded.tensors,
            loaded.track_uris,
            checkpoint_path=str(Path(path)),
            metadata=loaded.metadata,
            device=device,
        )

    @classmethod
    def from_scorer(cls, scorer: Any, device: str = "cpu") -> RecommenderService:
        """A service over a trained :class:`~assistant.ml.train.GnnScorer` (no file)."""
        tensors = dict(scorer.tensors, popularity=scorer.popularity)
        return cls(
            scorer.name,
            scorer.spec,
            tensors,
            scorer.track_uris,
            metadata=dict(getattr(scorer, "metadata", {})),
            device=device,
        )

    @classmethod
    def random(
        cls, n_tracks: int, dim: int = 64, heads: int = 4, seed: int = 0, model: str = "gat-mlp"
    ) -> RecommenderService:
        """A service over random tensors of a given size (latency benchmarks)."""
        g = torch.Generator().manual_seed(seed)
        spec = ModelSpec(name=model, n_playlists=0, n_tracks=n_tracks, dim=dim, heads=heads)
        tensors = {
            "h": torch.randn(n_tracks, dim, generator=g),
            "keys": torch.nn.functional.normalize(torch.randn(n_tracks, dim, generator=g), dim=1)
            * 10,
            "bias": torch.randn(n_tracks, generator=g) * 0.1,
            "popularity": torch.rand(n_tracks, generator=g),
        }
        if spec.content:
            n_artists, n_albums, n_tokens = max(n_tracks // 10, 1), max(n_tracks // 5, 1), 1000
            tensors.update(
                usable=torch.ones(n_tracks),
                artist_of=torch.randint(0, n_artists, (n_tracks,), generator=g),
                album_of=torch.randint(0, n_albums, (n_tracks,), generator=g),
                token_m=torch.nn.functional.normalize(
                    torch.randn(n_tokens, dim, generator=g), dim=1
                ),
                wq=torch.randn(dim, dim, generator=g) / dim**0.5,
                wk=torch.randn(dim, dim, generator=g) / dim**0.5,
                wv=torch.randn(dim, dim, generator=g) / dim**0.5,
                content_w=torch.tensor([0.5, 0.3]),
                name_gate=torch.tensor([0.0, -0.5]),
            )
            metadata = {
                "tokens": [f"word{i}" for i in range(n_tokens)],
                "artist_uris": [f"spotify:artist:synthetic{i:08d}" for i in range(n_artists)],
                "album_uris": [f"spotify:album:synthetic{i:08d}" for i in range(n_albums)],
            }
            uris = [f"spotify:track:synthetic{i:09d}" for i in range(n_tracks)]
            return cls(model, spec, tensors, uris, metadata=metadata)
        if spec.attention:
            tensors["lin"] = torch.randn(heads * dim, dim, generator=g) / dim**0.5
            tensors["att_src"] = torch.randn(heads, dim, generator=g) / dim**0.5
            tensors["att_dst"] = torch.randn(heads, dim, generator=g) / dim**0.5
        uris = [f"spotify:track:synthetic{i:09d}" for i in range(n_tracks)]
        return cls(model, spec, tensors, uris)

    # -- queries ---------------------------------------------------------------------

    @property
    def n_tracks(self) -> int:
        return len(self.track_uris)

    def encode(self, uris: Iterable[str]) -> tuple[np.ndarray, list[str], list[str]]:
        """Known track indices (deduplicated, in order), their URIs, and unknown URIs."""
        known: dict[int, str] = {}
        unknown: list[str] = []
        for uri in uris:
            j = self._index.get(uri)
            if j is None:
                if uri not in unknown:
                    unknown.append(uri)
            else:
                known.setdefault(j, uri)
        return np.fromiter(known, dtype=np.int64, count=len(known)), list(known.values()), unknown

    def reads_name(self, name: str) -> bool:
        """Whether this model knows a word of a playlist name (the content model only):
        then a playlist with no seed still gets proposals of its own."""
        if not name or not isinstance(self.inference, ContentInference):
            return False
        from assistant.ml.graph import encode_tokens

        return len(encode_tokens(name, self._token_index)) > 0

    def recommend(
        self,
        seed_uris: Sequence[str],
        k: int = 50,
        *,
        exclude: Iterable[str] = (),
        explain: bool = True,
        name: str = "",
    ) -> RecommendResult:
        """Top-k continuations of a playlist given by its track URIs (in playlist order).

        Never returns a seed, an excluded URI or a duplicate. Seeds the model does not
        know are listed in ``unknown_seeds``. Without any known seed the ranking falls
        back to popularity (score == bias, no reasons). The content model also reads the
        playlist's ``name`` (its known words are a prior, alone for a title-only query).
        """
        seeds, seed_uris_known, unknown = self.encode(seed_uris)
        excluded = np.asarray([self._index[u] for u in exclude if u in self._index], dtype=np.int64)
        if isinstance(self.inference, ContentInference):
            return self._recommend_content(
                seeds, seed_uris_known, unknown, excluded, k, explain, name
            )
        with torch.no_grad():
            att = self.inference.attend(seeds) if len(seeds) else None
            scores = self.inference.scores(att).cpu().numpy()
        banned = np.concatenate([seeds, excluded])
        scores[banned] = -np.inf
        n_ok = self.n_tracks - len(np.unique(banned))
        k = max(0, min(k, n_ok))
        if k == 0:
            return RecommendResult(self.model_name, [], unknown, seed_uris_known)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        if att is None:
            recs = [
                Recommendation(r + 1, self.track_uris[t], float(scores[t]), float(scores[t]))
                for r, t in enumerate(top)
            ]
            return RecommendResult(self.model_name, recs, unknown, seed_uris_known)
        bias = self.inference.bias_of(top)
        contrib = self.inference.contributions(att, top) if explain else None
        attention = att.attention
        recs = []
        for r, t in enumerate(top):
            reasons: tuple[Reason, ...] = ()
            if contrib is not None:
                order = np.argsort(-contrib[:, r], kind="stable")
                reasons = tuple(
                    Reason(seed_uris_known[j], float(attention[j]), float(contrib[j, r]))
                    for j in order
                )
            recs.append(
                Recommendation(r + 1, self.track_uris[t], float(scores[t]), float(bias[r]), reasons)
            )
        return RecommendResult(self.model_name, recs, unknown, seed_uris_known)

    # -- the content model -----------------------------------------------------------

    def _recommend_content(
        self,
        seeds: np.ndarray,
        seed_uris: list[str],
        unknown: list[str],
        excluded: np.ndarray,
        k: int,
        explain: bool,
        name: str,
    ) -> RecommendResult:
        """Two-stage ranking; reasons are every term of the score, grouped by reference:
        one item per seed (kind "seed"), per shared artist / album, per name token."""
        from assistant.ml.graph import encode_tokens

        inf = self.inference
        assert isinstance(inf, ContentInference)
        tokens = encode_tokens(name, self._token_index)
        banned = np.concatenate([seeds, excluded])
        with torch.no_grad():
            query = inf.prepare(seeds, tokens)
            if not query.informative:
                scores = inf.popularity.cpu().numpy().copy()
                scores[banned] = -np.inf
                k = max(0, min(k, int(np.isfinite(scores).sum())))
                top = np.argsort(-scores, kind="stable")[:k]
                recs = [
                    Recommendation(r + 1, self.track_uris[t], float(scores[t]), float(scores[t]))
                    for r, t in enumerate(top)
                ]
                return RecommendResult(self.model_name, recs, unknown, seed_uris)
            top, final, _, terms = inf.rank(query, banned, k)
        assert terms is not None or len(top) == 0
        terms_cpu = terms.select(torch.arange(len(top))) if terms is not None else None
        if terms_cpu is not None:
            terms_cpu = type(terms_cpu)(*(getattr(terms_cpu, f).cpu() for f in TERM_FIELDS))
        recs = []
        for r, t in enumerate(top):
            assert terms_cpu is not None
            reasons: tuple[Reason, ...] = ()
            if explain:
                reasons = tuple(self._reasons(terms_cpu, r, int(t), seed_uris, tokens))
            recs.append(
                Recommendation(
                    r + 1, self.track_uris[t], float(final[r]), float(terms_cpu.bias[r]), reasons
                )
            )
        return RecommendResult(self.model_name, recs, unknown, seed_uris)

    def _reasons(
        self, terms: Any, r: int, track: int, seed_uris: list[str], tokens: np.ndarray
    ) -> list[Reason]:
        """Every additive term of candidate ``r``'s score, largest contribution first."""
        inf = self.inference
        assert isinstance(inf, ContentInference)
        refs = list(seed_uris)
        kinds = ["seed"] * len(refs)
        attention = terms.alpha[0, r].tolist()
        values = terms.seed[0, r].tolist()
        for kind, value, of, vocab in (
            ("artist", float(terms.artist[0, r]), inf.artist_of, self.artist_uris),
            ("album", float(terms.album[0, r]), inf.album_of, self.album_uris),
        ):
            ref = int(of[track])
            if value != 0.0 and ref >= 0:
                refs.append(vocab[ref] if ref < len(vocab) else f"{kind}:{ref}")
                kinds.append(kind)
                attention.append(0.0)
                values.append(value)
        for tok, value in zip(tokens.tolist(), terms.name[0, r].tolist(), strict=True):
            refs.append(self.tokens[tok])
            kinds.append("name")
            attention.append(0.0)
            values.append(value)
        order = sorted(range(len(values)), key=values.__getitem__, reverse=True)
        return [make_reason(refs[i], attention[i], values[i], kinds[i]) for i in order]
