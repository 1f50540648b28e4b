"""Every table model passes qtmodeltester, with rows and empty."""

from __future__ import annotations

import time

from assistant.domain import PlaylistSummary, Reason, Recommendation, RecommendationRun, Track
from assistant.ui.table_models import (
    VALUE_ROLE,
    PlaylistTracksModel,
    PlaylistTreeModel,
    ReasonRow,
    ReasonsModel,
    RecommendationRow,
    RecommendationsModel,
    RunsModel,
)

TRACKS = [
    Track(
        f"spotify:track:{i}",
        f"Song {i}",
        f"spotify:artist:{i % 2}",
        f"Artist {i % 2}",
        "",
        "Album",
        185_000,
    )
    for i in range(4)
]


def _rec(rank: int) -> RecommendationRow:
    reasons = (Reason(TRACKS[0].uri, 0.7, 0.5), Reason(TRACKS[1].uri, 0.3, -0.1))
    rec = Recommendation(rank, TRACKS[rank].uri, 0.5 - 0.1 + 0.2, 0.2, reasons)
    return RecommendationRow(rec, TRACKS[rank], {t.uri: t for t in TRACKS[:2]})


def test_playlist_tracks_model(qtmodeltester) -> None:
    model = PlaylistTracksModel()
    qtmodeltester.check(model)
    model.set_rows(TRACKS)
    qtmodeltester.check(model)
    assert model.data(model.index(0, 4)) == "3:05"


def test_recommendations_model(qtmodeltester) -> None:
    model = RecommendationsModel()
    model.set_rows([_rec(1), _rec(2)])
    qtmodeltester.check(model)
    assert 0.0 <= model.data(model.index(0, model.SCORE_COLUMN), VALUE_ROLE) <= 1.0


def test_reasons_and_runs_models(qtmodeltester) -> None:
    reasons = ReasonsModel()
    reasons.set_rows([ReasonRow(r, "x") for r in _rec(1).rec.reasons])
    qtmodeltester.check(reasons)
    runs = RunsModel()
    runs.set_rows([RecommendationRun(1, 5, "gat-mlp", "/m.ckpt", time.time(), 50)])
    qtmodeltester.check(runs)


def test_playlist_tree_model(qtmodeltester) -> None:
    model = PlaylistTreeModel()
    qtmodeltester.check(model)
    model.set_rows(
        [
            PlaylistSummary(1, "mpd", "0", "rock", 10),
            PlaylistSummary(2, "local", "local-1", "mine", 3),
            PlaylistSummary(3, "mpd", "1", "chill", 7),
        ],
        {"mpd": 1000, "local": 1},
    )
    qtmodeltester.check(model)
    assert model.rowCount() == 2  # local first, then mpd
    assert "2 of 1,000" in model.data(model.index(1, 0))
    index = model.index_of_playlist(3)
    assert model.playlist_at(index).name == "chill"
