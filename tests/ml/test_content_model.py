"""The content-aware model (hgat): heterogeneous graph, candidate-aware attention,
exact decomposition, cold tracks through their artist, title-only through name tokens."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from assistant.ml.graph import Interactions, name_tokens
from assistant.ml.hetero import ContentRecommender
from assistant.ml.recommend import KINDS, RecommenderService
from assistant.ml.train import TrainConfig, build_model, popularity_scores, scorer_of, train

GENRES = ("rock", "jazz", "metal")


def content_data(n_playlists: int = 90, seed: int = 0) -> Interactions:
    """Three genres of 24 tracks (4 artists × 6 tracks, 2 albums per artist); each playlist
    draws 8 tracks of one genre and is named after it. Track ``c{g}cold`` is in no
    playlist but shares its artist and album with ``c{g}t0``."""
    rng = np.random.default_rng(seed)
    lists, names = [], []
    for i in range(n_playlists):
        g = i % 3
        lists.append([f"spotify:track:c{g}t{j}" for j in rng.choice(24, 8, replace=False)])
        names.append(f"{GENRES[g].title()} mix {i}")
    vocab = [f"spotify:track:c{g}t{j}" for g in range(3) for j in range(24)]
    vocab += [f"spotify:track:c{g}cold" for g in range(3)]
    data = Interactions.from_lists(lists, track_uris=vocab, names=names)
    artist = {u: f"spotify:artist:g{u[15]}a{int(u[17:]) // 6}" for u in vocab if "cold" not in u}
    album = {u: f"spotify:album:g{u[15]}a{int(u[17:]) // 3}" for u in vocab if "cold" not in u}
    for g in range(3):
        artist[f"spotify:track:c{g}cold"] = artist[f"spotify:track:c{g}t0"]
        album[f"spotify:track:c{g}cold"] = album[f"spotify:track:c{g}t0"]
    return data.with_content(artist, album)


def config(**kw: object) -> TrainConfig:
    base = dict(model="hgat", dim=16, epochs=12, batch_size=16, device="cpu", sampled=40)
    base.update(kw)
    return TrainConfig(**base)  # type: ignore[arg-type]


def test_name_tokens_are_normalised_words() -> None:
    assert name_tokens("Road Trip!! 2017") == ["road", "trip", "2017"]
    assert name_tokens("Été été") == ["ete"]
    assert name_tokens("  ") == []


def test_content_arrays_survive_selection_and_kcore() -> None:
    data = content_data()
    assert data.has_content and len(data.artist_uris) == 12 and len(data.album_uris) == 24
    sub = data.select_rows([0, 1, 2])
    np.testing.assert_array_equal(sub.artist_of, data.artist_of)
    core = data.kcore(2)
    for u, a in zip(core.track_uris, core.artist_of, strict=True):
        assert core.artist_uris[a] == data.artist_uris[data.artist_of[data.track_index[u]]]


def _random_model(data: Interactions) -> tuple[ContentRecommender, object]:
    torch.manual_seed(3)
    model = build_model(data, config(), torch.device("cpu"))
    assert isinstance(model, ContentRecommender)
    with torch.no_grad():  # non-trivial weights for every term kind
        model.bias.weight.normal_(0, 0.5)
        model.content_w.copy_(torch.tensor([0.7, -0.4]))
        model.name_gate.copy_(torch.tensor([0.3, -0.2]))
    model.eval()
    return model, scorer_of(model, data, popularity_scores(data))


@pytest.mark.parametrize("with_name", [True, False])
def test_explanation_terms_add_up_to_the_forward_score(with_name: bool) -> None:
    data = content_data()
    model, scorer = _random_model(data)
    seeds = [0, 1, 7, 30]  # two artists of genre 0, one of genre 1
    name = "rock mix" if with_name else ""
    service = RecommenderService.from_scorer(scorer)
    service.inference.candidates = data.n_tracks  # re-rank everything: compare all
    result = service.recommend([data.track_uris[i] for i in seeds], k=20, name=name)
    tokens = torch.tensor([[scorer.metadata["tokens"].index(w) for w in ("rock", "mix")]])
    if not with_name:
        tokens = torch.full((1, 1), -1)
    cand = torch.tensor([data.track_index[r.track_uri] for r in result.recommendations])
    with torch.no_grad():
        forward = model(cand, torch.tensor([seeds]), tokens)[0].numpy()
    kinds = set()
    for rec, f in zip(result.recommendations, forward, strict=True):
        assert rec.score == pytest.approx(float(f), abs=1e-4)
        total = rec.bias + sum(r.contribution for r in rec.reasons)
        assert abs(total - rec.score) <= 1e-4
        kinds |= {r.kind for r in rec.reasons}
        seed_items = [r for r in rec.reasons if r.kind == "seed"]
        assert {r.neighbor_uri for r in seed_items} == {data.track_uris[i] for i in seeds}
        assert sum(r.attention for r in seed_items) == pytest.approx(1.0, abs=1e-5)
    expected = {"seed", "artist", "album"} | ({"name"} if with_name else set())
    assert kinds == expected and kinds <= set(KINDS)
    # the attention depends on the candidate: not the same weights for every proposal
    weights = np.array(
        [
            [
                next(r.attention for r in rec.reasons if r.neighbor_uri == data.track_uris[i])
                for i in seeds
            ]
            for rec in result.recommendations
        ]
    )
    assert weights.std(axis=0).max() > 1e-3


def test_random_content_service_explains_exactly() -> None:
    service = RecommenderService.random(5_000, dim=32, seed=1, model="hgat")
    result = service.recommend(service.track_uris[:25], k=30, name="word3 word7 nonsense")
    assert len(result.recommendations) == 30
    for rec in result.recommendations:
        assert abs(rec.bias + sum(r.contribution for r in rec.reasons) - rec.score) <= 1e-4
    assert {"seed", "name"} <= {r.kind for rec in result.recommendations for r in rec.reasons}
    scores = np.array([r.score for r in result.recommendations])
    assert (np.diff(scores) <= 0).all()


@pytest.fixture(scope="module")
def trained() -> tuple[Interactions, object]:
    data = content_data()
    return data, train(data, config())


@pytest.mark.slow
def test_retrieval_keeps_almost_all_of_the_final_top(trained: tuple) -> None:
    """Stage 1 (uniform seed weights over the whole catalogue) must hold what stage 2
    would rank first: recall of the exhaustive top-10 within the retrieved 25 of 75."""
    data, result = trained
    inf = RecommenderService.from_scorer(result.model).inference
    inf.candidates = 25
    rng = np.random.default_rng(0)
    recalls = []
    for g in range(3):
        seeds = data.track_index[f"spotify:track:c{g}t0"] + rng.choice(24, 5, replace=False)
        query = inf.prepare(seeds, np.zeros(0, np.int64))
        with torch.no_grad():
            exhaustive = inf.terms(query, np.arange(data.n_tracks)).total()[0]
            exhaustive[seeds] = -np.inf
            best = set(torch.topk(exhaustive, 10).indices.tolist())
            _, _, retrieved, _ = inf.rank(query, seeds, 10)
        recalls.append(len(best & set(retrieved.tolist())) / 10)
    assert np.mean(recalls) >= 0.9, recalls


@pytest.mark.slow
def test_cold_track_with_known_artist_gets_a_trained_vector(trained: tuple) -> None:
    data, result = trained
    module = result.module
    assert isinstance(module, ContentRecommender)
    cold = data.track_index["spotify:track:c0cold"]
    assert data.track_degrees()[cold] == 0
    h = result.model.tensors["h"]
    assert float(h[cold].norm()) > 0.1  # nonzero: its artist and album embeddings
    assert bool(result.model.tensors["usable"][cold])
    # trained: the cold rock track sits closer to rock tracks than to jazz ones
    rock = h[[data.track_index[f"spotify:track:c0t{j}"] for j in range(6, 24)]].mean(0)
    jazz = h[[data.track_index[f"spotify:track:c1t{j}"] for j in range(6, 24)]].mean(0)
    cos = torch.nn.functional.cosine_similarity
    assert float(cos(h[cold], rock, dim=0)) > float(cos(h[cold], jazz, dim=0))
    # and a seed list of only the cold track is used, not ignored
    service = RecommenderService.from_scorer(result.model)
    rec = service.recommend(["spotify:track:c0cold"], k=10)
    assert sum(r.track_uri.startswith("spotify:track:c0") for r in rec.recommendations) >= 7


@pytest.mark.slow
def test_title_only_playlist_differs_from_popularity(trained: tuple) -> None:
    _, result = trained
    service = RecommenderService.from_scorer(result.model)
    jazz = service.recommend([], k=10, name="Jazz evening")
    rock = service.recommend([], k=10, name="rock")
    popular = service.recommend([], k=10)
    genre = [
        sum(r.track_uri.startswith(f"spotify:track:c{g}") for r in jazz.recommendations)
        for g in range(3)
    ]
    assert genre[1] >= 7, genre
    assert [r.track_uri for r in jazz.recommendations] != [
        r.track_uri for r in popular.recommendations
    ]
    assert [r.track_uri for r in jazz.recommendations] != [
        r.track_uri for r in rock.recommendations
    ]
    assert all(r.kind == "name" for rec in jazz.recommendations for r in rec.reasons)
