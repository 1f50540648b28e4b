"""recommend_for_playlist / recommend_for_seeds: stored runs and artist filters."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.domain import Playlist, Track
from assistant.jobs.recommending import recommend_for_playlist, recommend_for_seeds, seed_coverage
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


@pytest.fixture(scope="module")
def content_service(setup: tuple[Path, RecommenderService]) -> RecommenderService:
    """The content-aware model (hgat) trained on the same library."""
    with Library(setup[0]) as library:
        data = training_interactions(library)
    return RecommenderService.from_scorer(train(data, tiny(epochs=2, model="hgat")).model)


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


@pytest.mark.slow
def test_seed_coverage_counts_each_distinct_seed_by_what_the_model_knows(
    setup: tuple[Path, RecommenderService], content_service: RecommenderService
) -> None:
    lib, service = setup
    with Library(lib) as library:
        known = library.playlist(library.playlists()[0].id).track_uris[:3]
        library.save_playlist(
            Playlist("new", ["spotify:track:new1", "spotify:track:new2"], source="file"),
            [
                Track("spotify:track:new1", "New 1", "spotify:artist:a00", "Artist 00"),
                Track("spotify:track:new2", "New 2", "spotify:artist:nobody", "Nobody"),
            ],
        )
        seeds = [*known, known[0], "spotify:track:new1", "spotify:track:new2", "spotify:track:x"]
        tracks = library.tracks(seeds)
    coverage = seed_coverage(service, seeds, tracks)
    # Today's checkpoints know tracks only: a new track by a known artist is not used.
    assert coverage.as_dict() == {"track": 3, "artist_or_album": 0, "none": 3}
    assert coverage.unused == ["spotify:track:new1", "spotify:track:new2", "spotify:track:x"]
    assert coverage.sentence() == (
        "Seeds: 6 (3 known to the model, 3 not used (unknown track, artist and album))."
    )
    # A content-aware checkpoint has a trained vector for artist a00: new1 is then usable.
    coverage = seed_coverage(content_service, seeds, tracks)
    assert coverage.as_dict() == {"track": 3, "artist_or_album": 1, "none": 2}
    assert coverage.unused == ["spotify:track:new2", "spotify:track:x"]
    assert "1 through their artist or album only" in coverage.sentence()


@pytest.mark.slow
def test_seed_coverage_counts_a_track_without_training_edge_as_unused(tmp_path: Path) -> None:
    """A held-out playlist's tracks are in the vocabulary but untrained: used in no way."""
    lib = make_library(tmp_path / "lib.sqlite", n_playlists=12)
    with Library(lib) as library:
        library.save_playlist(
            Playlist("held out", ["spotify:track:solo"], source="file", source_ref="held"),
            [Track("spotify:track:solo", "Solo", "spotify:artist:nobody", "Nobody")],
        )
        data = training_interactions(library)
        seeds = ["spotify:track:c0t1", "spotify:track:solo"]
        tracks = library.tracks(seeds)
    held = data.playlist_ids.tolist().index(max(data.playlist_ids))
    rows = [i for i in range(data.n_playlists) if i != held]
    scorer = train(data.select_rows(rows), tiny(epochs=1, model="gat")).model
    service = RecommenderService.from_scorer(scorer)
    assert "spotify:track:solo" in service.track_uris
    coverage = seed_coverage(service, seeds, tracks)
    assert coverage.as_dict() == {"track": 1, "artist_or_album": 0, "none": 1}
    assert coverage.unused == ["spotify:track:solo"]


@pytest.mark.slow
def test_a_new_track_by_a_known_artist_is_used_and_counted_as_such(
    setup: tuple[Path, RecommenderService], content_service: RecommenderService
) -> None:
    """The coverage the person is shown is what the recommendation used: the new track
    is a seed (with its own reason), not an unknown one, and a playlist of only new
    tracks by known artists gets proposals, not "the model knows none of them"."""
    lib, _ = setup
    new = Track("spotify:track:fresh", "Fresh", "spotify:artist:a01", "Artist 01")
    with Library(lib) as library:
        library.add_tracks([new])
        seeds = ["spotify:track:c0t0", new.uri, "spotify:track:gone"]
        _, result = recommend_for_seeds(library, content_service, seeds, k=10)
        _, alone = recommend_for_seeds(library, content_service, [new.uri], k=10)
    assert result.kind == "model" and result.coverage is not None
    assert result.coverage.as_dict() == {"track": 1, "artist_or_album": 1, "none": 1}
    assert result.unknown_seeds == ["spotify:track:gone"]
    assert result.seeds == ["spotify:track:c0t0", new.uri] and result.n_known == 2
    assert result.notice == "1 of 3 tracks known to the model, 1 more through their artist or album"
    for rec in result.recommendations:
        assert any(r.neighbor_uri == new.uri and r.kind == "seed" for r in rec.reasons)
        assert abs(rec.bias + sum(r.contribution for r in rec.reasons) - rec.score) <= 1e-4
    assert alone.kind == "model" and "knows none" not in alone.notice
    assert alone.coverage is not None and alone.coverage.artist_or_album == 1
    assert len(alone.recommendations) == 10
