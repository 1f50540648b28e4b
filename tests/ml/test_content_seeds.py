"""Seeds outside the content model's track vocabulary, used through their artist/album.

A user's new track is in no checkpoint's vocabulary, but its artist or album often is:
the model reads it as ``artist_h[a] + album_h[l]`` (the propagated artist and album
vectors the checkpoint stores). Older checkpoints without those vectors leave it unused.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from assistant.errors import CheckpointError
from assistant.ml import checkpoint as ckpt
from assistant.ml.recommend import RecommenderService, RecommendResult
from assistant.ml.train import TrainResult, train
from tests.ml.test_content_model import _random_model, config, content_data

NEW = "spotify:track:brandnew"  # in no checkpoint's vocabulary


def _artist(g: int, a: int) -> str:
    return f"spotify:artist:g{g}a{a}"


def _album(g: int, a: int) -> str:
    return f"spotify:album:g{g}a{a}"


def _tracks_of_artist(g: int, a: int) -> set[str]:
    return {f"spotify:track:c{g}t{j}" for j in range(6 * a, 6 * a + 6)}


@pytest.fixture(scope="module")
def trained() -> TrainResult:
    return train(content_data(), config())


def test_artist_and_album_vectors_are_the_propagated_ones_zero_where_untrained() -> None:
    data = content_data()
    # one artist that only a track without playlist edges has: nothing trains it
    artist = {u: data.artist_uris[a] for u, a in zip(data.track_uris, data.artist_of, strict=True)}
    album = {u: data.album_uris[a] for u, a in zip(data.track_uris, data.album_of, strict=True)}
    artist["spotify:track:c2cold"] = "spotify:artist:lonely"
    data = data.with_content(artist, album)
    model, scorer = _random_model(data)
    t = scorer.tensors
    assert t["artist_h"].shape == (len(data.artist_uris), 16)
    assert t["album_h"].shape == (len(data.album_uris), 16)
    with torch.no_grad():
        e = model.node_representations()
    o = model.offsets
    lonely = data.artist_uris.index("spotify:artist:lonely")
    assert float(t["artist_h"][lonely].abs().sum()) == 0.0
    trained_rows = [i for i in range(len(data.artist_uris)) if i != lonely]
    torch.testing.assert_close(t["artist_h"][trained_rows], e[o[2] : o[3]][trained_rows])
    torch.testing.assert_close(t["album_h"], e[o[3] : o[4]])


def test_an_unknown_seed_with_a_known_artist_is_used_and_explained_exactly() -> None:
    data = content_data()
    _, scorer = _random_model(data)
    service = RecommenderService.from_scorer(scorer)
    service.inference.candidates = data.n_tracks  # re-rank everything
    seeds = ["spotify:track:c1t0", "spotify:track:c1t7", NEW]
    content = {NEW: (_artist(0, 1), _album(0, 2))}
    use = service.seed_use(seeds, content)
    assert use.classes == {seeds[0]: "track", seeds[1]: "track", NEW: "artist_or_album"}
    # every track proposed: each term of every candidate is checked
    result = service.recommend(seeds, k=data.n_tracks, name="rock mix", content=content)
    assert result.unknown_seeds == [] and NEW in result.seeds
    assert result.seed_classes == use.classes
    a = data.artist_uris.index(_artist(0, 1))
    b = data.album_uris.index(_album(0, 2))
    h = scorer.tensors["artist_h"][a] + scorer.tensors["album_h"][b]
    h_new, usable = service.inference.content_seeds(np.array([[a, b]]))
    torch.testing.assert_close(h_new[0], h)
    assert bool(usable[0])
    for rec in result.recommendations:
        assert abs(rec.bias + sum(r.contribution for r in rec.reasons) - rec.score) <= 1e-4
        mine = [r for r in rec.reasons if r.neighbor_uri == NEW]
        assert len(mine) == 1 and mine[0].kind == "seed" and mine[0].attention > 0
        assert sum(r.attention for r in rec.reasons if r.kind == "seed") == pytest.approx(1.0)
    # the new seed's artist counts for the shared-artist term of that artist's tracks
    same = [r for r in result.recommendations if r.track_uri in _tracks_of_artist(0, 1)]
    assert same and all(
        any(x.kind == "artist" and x.neighbor_uri == _artist(0, 1) for x in r.reasons) for r in same
    )


def test_seeds_the_model_cannot_read_are_unused() -> None:
    data = content_data()
    _, scorer = _random_model(data)
    service = RecommenderService.from_scorer(scorer)
    seeds = ["spotify:track:c1t0", NEW, "spotify:track:other", "spotify:track:none"]
    content = {
        NEW: ("spotify:artist:nobody", ""),  # an artist the model does not know
        "spotify:track:other": ("", "spotify:album:nowhere"),
    }
    result = service.recommend(seeds, k=5, content=content)
    assert result.seeds == ["spotify:track:c1t0"]
    assert result.unknown_seeds == seeds[1:]
    assert set(result.seed_classes.values()) == {"track", "none"}
    assert {r.neighbor_uri for rec in result.recommendations for r in rec.reasons} >= {seeds[0]}
    assert not {r.neighbor_uri for rec in result.recommendations for r in rec.reasons} & set(
        seeds[1:]
    )


@pytest.mark.slow
def test_an_unknown_seed_moves_the_ranking_towards_its_artist(trained: TrainResult) -> None:
    """A half rock, half jazz playlist plus a new track by a third rock artist: that
    artist's tracks rise (they share its artist and its rock vector attends to them)."""
    service = RecommenderService.from_scorer(trained.model)
    seeds = ["spotify:track:c0t0", "spotify:track:c0t7", "spotify:track:c1t0", "spotify:track:c1t7"]
    rock = _tracks_of_artist(0, 2)
    content = {NEW: (_artist(0, 2), "")}
    n = service.n_tracks  # the whole ranking
    without = service.recommend([*seeds, NEW], k=n)
    with_artist = service.recommend([*seeds, NEW], k=n, content=content)
    assert NEW in without.unknown_seeds and NEW not in with_artist.unknown_seeds

    def ranks(result: RecommendResult) -> np.ndarray:
        return np.array([r.rank for r in result.recommendations if r.track_uri in rock])

    before, after = ranks(without), ranks(with_artist)
    assert len(before) == len(after) == 6
    assert after.mean() < before.mean() - 10, (before, after)
    assert after.max() < before.min(), (before, after)  # every one of them rises
    # a new track alone: proposals of its genre, not popularity
    alone = service.recommend([NEW], k=10, content=content)
    assert alone.seeds == [NEW]
    assert sum(r.track_uri.startswith("spotify:track:c0") for r in alone.recommendations) >= 7
    for rec in alone.recommendations:
        assert abs(rec.bias + sum(r.contribution for r in rec.reasons) - rec.score) <= 1e-4


@pytest.mark.slow
def test_a_checkpoint_without_artist_vectors_still_loads_and_leaves_such_seeds_unused(
    trained: TrainResult, tmp_path: Path
) -> None:
    data = content_data()
    new_path = ckpt.save_trained(
        tmp_path / "new.ckpt", trained, graph_fingerprint=data.fingerprint()
    )
    loaded = ckpt.load(new_path)
    assert {"artist_h", "album_h"} <= set(loaded.tensors)
    tensors = {k: v for k, v in loaded.tensors.items() if k not in ("artist_h", "album_h")}
    old_path = ckpt.save(tmp_path / "old.ckpt", loaded.metadata, tensors)
    old = RecommenderService.load(old_path)
    new = RecommenderService.load(new_path)
    seeds = ["spotify:track:c0t1", NEW]
    content = {NEW: (_artist(0, 2), _album(0, 4))}
    got = old.recommend(seeds, k=10, content=content)
    assert got.unknown_seeds == [NEW] and got.seeds == ["spotify:track:c0t1"]
    assert got.seed_classes == {"spotify:track:c0t1": "track", NEW: "none"}
    plain = old.recommend(seeds[:1], k=10)
    assert [r.track_uri for r in got.recommendations] == [
        r.track_uri for r in plain.recommendations
    ]
    assert [r.score for r in got.recommendations] == [r.score for r in plain.recommendations]
    assert new.recommend(seeds, k=10, content=content).unknown_seeds == []


@pytest.mark.slow
def test_artist_vectors_of_the_wrong_shape_are_refused(
    trained: TrainResult, tmp_path: Path
) -> None:
    data = content_data()
    path = ckpt.save_trained(tmp_path / "m.ckpt", trained, graph_fingerprint=data.fingerprint())
    loaded = ckpt.load(path)
    short = dict(loaded.tensors, artist_h=loaded.tensors["artist_h"][:-1])
    ckpt.save(tmp_path / "short.ckpt", loaded.metadata, short)
    with pytest.raises(CheckpointError, match="'artist_h' has shape"):
        ckpt.load(tmp_path / "short.ckpt")
    alone = {k: v for k, v in loaded.tensors.items() if k != "album_h"}
    ckpt.save(tmp_path / "alone.ckpt", loaded.metadata, alone)
    with pytest.raises(CheckpointError, match="without its artist/album partner"):
        ckpt.load(tmp_path / "alone.ckpt")


def test_random_content_service_reads_unknown_seeds() -> None:
    service = RecommenderService.random(2_000, dim=16, seed=2, model="hgat")
    seeds = [*service.track_uris[:5], NEW]
    content = {NEW: (service.artist_uris[3], service.album_uris[7])}
    result = service.recommend(seeds, k=10, content=content)
    assert result.unknown_seeds == [] and result.seed_classes[NEW] == "artist_or_album"
    assert isinstance(service.inference.artist_h, torch.Tensor)
    for rec in result.recommendations:
        assert abs(rec.bias + sum(r.contribution for r in rec.reasons) - rec.score) <= 1e-4
