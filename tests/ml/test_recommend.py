"""RecommenderService: never a seed or duplicate, unknown seeds reported, fallbacks."""

from __future__ import annotations

import pytest

from assistant.ml.recommend import RecommenderService
from assistant.ml.train import train
from tests.ml.test_models import tiny_config, tiny_data


@pytest.fixture(scope="module")
def service() -> RecommenderService:
    return RecommenderService.from_scorer(train(tiny_data(), tiny_config("gat", epochs=2)).model)


@pytest.mark.slow
def test_never_a_seed_an_excluded_track_or_a_duplicate(service: RecommenderService) -> None:
    seeds = service.track_uris[:5]
    result = service.recommend(seeds, k=30, exclude=service.track_uris[5:8])
    uris = [r.track_uri for r in result.recommendations]
    assert len(uris) == len(set(uris)) == 30
    assert not set(uris) & set(service.track_uris[:8])
    assert [r.rank for r in result.recommendations] == list(range(1, 31))
    assert result.seeds == seeds and result.unknown_seeds == []


@pytest.mark.slow
def test_unknown_seeds_are_reported(service: RecommenderService) -> None:
    seeds = [
        "spotify:track:nope",
        service.track_uris[3],
        "spotify:track:nope",
        service.track_uris[3],
    ]
    result = service.recommend(seeds, k=5)
    assert result.unknown_seeds == ["spotify:track:nope"]
    assert len(result.recommendations[0].reasons) == 1  # the one known seed, once


@pytest.mark.slow
def test_no_known_seed_falls_back_to_popularity(service: RecommenderService) -> None:
    result = service.recommend(["spotify:track:nope"], k=5)
    assert result.unknown_seeds == ["spotify:track:nope"]
    assert len(result.recommendations) == 5
    for rec in result.recommendations:
        assert rec.reasons == () and rec.score == rec.bias
    scores = [r.score for r in result.recommendations]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.slow
def test_k_is_clipped_to_the_tracks_left(service: RecommenderService) -> None:
    result = service.recommend(service.track_uris[:50], k=500)
    assert len(result.recommendations) == service.n_tracks - 50
    assert service.recommend(service.track_uris, k=5).recommendations == []


@pytest.mark.slow
def test_explain_false_gives_no_reasons(service: RecommenderService) -> None:
    result = service.recommend(service.track_uris[:3], k=3, explain=False)
    assert all(r.reasons == () for r in result.recommendations)


def test_random_service_has_the_requested_size() -> None:
    service = RecommenderService.random(10_000, dim=16, heads=2)
    assert service.n_tracks == 10_000
    assert len(service.recommend(service.track_uris[:10], k=50).recommendations) == 50
