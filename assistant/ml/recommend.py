"""The recommender service: load a checkpoint once, then score seed sets cheaply.

``RecommenderService.recommend`` = attention over the seeds + one matrix–vector product
over every track + an exact top-k (``ml.base.best_indices``); explanations for the k
winners come from the same attention (:mod:`assistant.ml.inference`), so
``bias + Σ contribution == score`` for every recommendation. Qt-free; the GUI keeps one
service per checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch

from assistant.domain import Reason, Recommendation
from assistant.ml import checkpoint as ckpt
from assistant.ml.base import best_indices
from assistant.ml.device import resolve_device
from assistant.ml.inference import ContentInference, InferenceModel
from assistant.ml.spec import ModelSpec

TERM_FIELDS = ("bias", "seed", "alpha", "artist", "album", "name")

#: Reason kinds: a seed track, a shared artist, a shared album, a playlist-name token.
KINDS = ("seed", "artist", "album", "name")

#: How a query can use a seed: as a track the model knows; through its artist or album
#: only (the content model, a track outside its vocabulary); in no way.
SEED_CLASSES = ("track", "artist_or_album", "none")


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
        unknown_seeds: seed URIs used in no way (reported, not silently dropped).
        seeds: the seed URIs the model used (as tracks or through their artist/album).
        seed_classes: every distinct seed's :data:`SEED_CLASSES` entry, playlist order.
    """

    model: str
    recommendations: list[Recommendation]
    unknown_seeds: list[str]
    seeds: list[str] = field(default_factory=list)
    seed_classes: dict[str, str] = field(default_factory=dict)


@dataclass
class SeedUse:
    """How one query uses its distinct seeds (see :meth:`RecommenderService.seed_use`).

    Attributes:
        indices: vocabulary indices the model gets as tracks, in playlist order.
        track_uris: their URIs.
        vocabulary: every seed in the vocabulary (never proposed back), used or not.
        content: (artist, album) index pairs [n, 2] of the seeds outside the vocabulary
            the model reads through their artist or album (-1 = unknown).
        content_uris: their URIs.
        classes: every distinct seed's :data:`SEED_CLASSES` entry, in playlist order.
    """

    indices: np.ndarray
    track_uris: list[str]
    vocabulary: np.ndarray
    content: np.ndarray
    content_uris: list[str]
    classes: dict[str, str]

    @property
    def used(self) -> list[str]:
        return [u for u, c in self.classes.items() if c != "none"]

    @property
    def unused(self) -> list[str]:
        return [u for u, c in self.classes.items() if c == "none"]


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
                artist_h=torch.randn(n_artists, dim, generator=g),
                album_h=torch.randn(n_albums, dim, generator=g),
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

    @cached_property
    def _content_index(self) -> tuple[dict[str, int], dict[str, int]]:
        """Artist and album URI → index (built on first use: large for a full MPD model)."""
        return (
            {u: i for i, u in enumerate(self.artist_uris)},
            {u: i for i, u in enumerate(self.album_uris)},
        )

    def seed_use(
        self, seed_uris: Iterable[str], content: Mapping[str, tuple[str, str]] | None = None
    ) -> SeedUse:
        """Decides how a query uses each distinct seed: the one place that says so, for
        :meth:`recommend` and for the coverage people are shown.

        "track": in the vocabulary with a trained vector (the track-only models: an edge
        in the training graph, where the checkpoint records ``active``; the content model:
        ``usable``, its own edges or a trained artist/album). "artist_or_album": outside
        the vocabulary, but the content model has a trained vector for its artist or
        album (``content`` gives the seed's artist and album URIs; checkpoints without
        ``artist_h``/``album_h`` cannot do this). "none": neither. Untrained vocabulary
        seeds still go to a track-only model (its readout masks them, its positions count
        them); the content model gets only the seeds it uses.

        Args:
            content: seed URI → (artist URI, album URI), "" when unknown (the library's
                metadata of the seeds).
        """
        seed_uris = list(dict.fromkeys(seed_uris))
        idx, known, unknown = self.encode(seed_uris)
        inf = self.inference
        if isinstance(inf, ContentInference):
            ok = inf.usable[torch.as_tensor(idx, device=inf.device)].cpu().numpy()
            indices, track_uris = idx[ok], [u for u, o in zip(known, ok, strict=True) if o]
        else:
            active = inf.active
            ok = (
                active[torch.as_tensor(idx, device=inf.device)].cpu().numpy()
                if active is not None
                else np.ones(len(idx), dtype=bool)
            )
            indices, track_uris = idx, known
        pairs, content_uris = self._content_seeds(unknown, content or {})
        classes = dict.fromkeys(seed_uris, "none")
        classes.update((u, "track") for u, o in zip(known, ok, strict=True) if o)
        classes.update((u, "artist_or_album") for u in content_uris)
        return SeedUse(indices, track_uris, idx, pairs, content_uris, classes)

    def _content_seeds(
        self, uris: list[str], content: Mapping[str, tuple[str, str]]
    ) -> tuple[np.ndarray, list[str]]:
        """The (artist, album) index pairs and URIs of the seeds outside the vocabulary
        that the content model can read through a trained artist or album."""
        inf = self.inference
        empty = np.zeros((0, 2), dtype=np.int64)
        if not uris or not content or not isinstance(inf, ContentInference):
            return empty, []
        if not inf.reads_content_seeds:
            return empty, []
        artists, albums = self._content_index
        found: list[str] = []
        pairs: list[tuple[int, int]] = []
        for uri in uris:
            artist, album = content.get(uri) or ("", "")
            pair = (
                artists.get(artist, -1) if artist else -1,
                albums.get(album, -1) if album else -1,
            )
            if pair != (-1, -1):
                found.append(uri)
                pairs.append(pair)
        if not pairs:
            return empty, []
        refs = np.asarray(pairs, dtype=np.int64)
        with torch.no_grad():
            _, usable = inf.content_seeds(refs)
        keep = usable.cpu().numpy()
        return refs[keep], [u for u, k in zip(found, keep, strict=True) if k]

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
        content: Mapping[str, tuple[str, str]] | None = None,
    ) -> RecommendResult:
        """Top-k continuations of a playlist given by its track URIs (in playlist order).

        Never returns a seed, an excluded URI or a duplicate. Seeds used in no way are
        listed in ``unknown_seeds`` (see :meth:`seed_use`). Without any known seed the
        ranking falls back to popularity (score == bias, no reasons). The content model
        also reads the playlist's ``name`` (its known words are a prior, alone for a
        title-only query) and, given ``content`` (seed URI → (artist URI, album URI)),
        uses seeds outside its vocabulary through their artist or album.
        """
        uses = self.seed_use(seed_uris, content)
        seeds, seed_uris_known = uses.indices, uses.track_uris
        excluded = np.asarray([self._index[u] for u in exclude if u in self._index], dtype=np.int64)
        banned = np.concatenate([uses.vocabulary, excluded])
        if isinstance(self.inference, ContentInference):
            return self._recommend_content(uses, banned, k, explain, name)
        with torch.no_grad():
            att = self.inference.attend(seeds) if len(seeds) else None
            scores = self.inference.scores(att).cpu().numpy()
        scores[banned] = -np.inf
        n_ok = self.n_tracks - len(np.unique(banned))
        k = max(0, min(k, n_ok))
        if k == 0:
            return self._result([], uses)
        top = best_indices(scores, k)
        top = top[np.argsort(-scores[top], kind="stable")]
        if att is None:
            recs = [
                Recommendation(r + 1, self.track_uris[t], float(scores[t]), float(scores[t]))
                for r, t in enumerate(top)
            ]
            return self._result(recs, uses)
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
        return self._result(recs, uses)

    def _result(self, recs: list[Recommendation], uses: SeedUse) -> RecommendResult:
        return RecommendResult(self.model_name, recs, uses.unused, uses.used, uses.classes)

    # -- the content model -----------------------------------------------------------

    def _recommend_content(
        self, uses: SeedUse, banned: np.ndarray, k: int, explain: bool, name: str
    ) -> RecommendResult:
        """Two-stage ranking; reasons are every term of the score, grouped by reference:
        one item per seed (kind "seed"; a seed read through its artist/album too), per
        shared artist / album, per name token."""
        from assistant.ml.graph import encode_tokens

        inf = self.inference
        assert isinstance(inf, ContentInference)
        tokens = encode_tokens(name, self._token_index)
        seed_uris = [*uses.track_uris, *uses.content_uris]  # prepare()'s order
        with torch.no_grad():
            query = inf.prepare(uses.indices, tokens, uses.content)
            if not query.informative:
                scores = inf.popularity.cpu().numpy().copy()
                scores[banned] = -np.inf
                k = max(0, min(k, int(np.isfinite(scores).sum())))
                top = np.argsort(-scores, kind="stable")[:k]
                recs = [
                    Recommendation(r + 1, self.track_uris[t], float(scores[t]), float(scores[t]))
                    for r, t in enumerate(top)
                ]
                return self._result(recs, uses)
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
        return self._result(recs, uses)

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
