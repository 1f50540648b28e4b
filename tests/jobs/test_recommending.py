"""recommend_for_playlist / recommend_for_seeds: stored runs and artist filters."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.jobs.recommending import recommend_for_playlist, recommend_for_seeds
from assistant.jobs.training_data import training_interactions
from assistant.ml.recommend import RecommenderService
from assistant.ml.train import train
from assistant.store.library import Library
from tests.jobs.test_training import make_library, tiny


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RecommenderService]:
    lib = make_library(tmp_path_factory.mktemp("lib") / "lib.sqlite")
    with Library(lib) as library:
        data = training_interactions(library)
    service = RecommenderService.from_scorer(train(data, tiny(epochs=2, model="gat")).model)
    return lib, service


@pytest.mark.slow
def test_run_is_stored_with_explanations(setup: tuple[Path, RecommenderService]) -> None:
    lib, service = setup
    with Library(lib) as library:
        pid = library.playlists()[0].id
        run_id, result = recommend_for_playlist(library, service, pid, k=10)
        seeds = set(library.playlist(pid).track_uris)
        stored = library.recommendations(run_id)
        runs = library.recommendation_runs(pid)
    assert runs[0].id == run_id and runs[0].model == "gat"
    assert [r.track_uri for r in stored] == [r.track_uri for r in result.recommendations]
    assert not seeds & {r.track_uri for r in stored}
    for rec in stored:
        assert rec.bias + sum(x.contribution for x in rec.reasons) == pytest.approx(
            rec.score, abs=1e-4
        )


@pytest.mark.slow
def test_artist_cap_and_blocked_artists(setup: tuple[Path, RecommenderService]) -> None:
    lib, service = setup
    seeds = ["spotify:track:c0t0", "spotify:track:c0t1", "spotify:track:unknown"]
    with Library(lib) as library:
        _, result = recommend_for_seeds(
            library, service, seeds, k=10, max_per_artist=3, blocked_artists=["Artist 00"]
        )
        meta = library.tracks(r.track_uri for r in result.recommendations)
    assert result.unknown_seeds == ["spotify:track:unknown"]
    artists = [meta[r.track_uri].artist_name for r in result.recommendations]
    assert "Artist 00" not in artists
    # the seeds' own artists count toward the cap (c0t0 → a00, c0t1 → a01)
    assert artists.count("Artist 01") <= 2
    assert all(artists.count(a) <= 3 for a in artists)
    assert [r.rank for r in result.recommendations] == list(range(1, len(artists) + 1))
