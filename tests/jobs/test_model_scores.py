"""Training scores the new model on the library's own held-out playlists, against
popularity, iALS and the active model, on the same cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import config
from assistant.errors import InputError
from assistant.jobs.model_scores import leave_n_out
from assistant.jobs.training import choose_sources, library_score, train_on_library
from assistant.ml.graph import Interactions
from assistant.ml.recommend import RecommenderService
from assistant.store.library import Library
from tests.jobs.test_training import make_library, tiny


@pytest.mark.slow
def test_training_scores_against_baselines_and_the_active_model(tmp_path: Path) -> None:
    lib = make_library(tmp_path / "lib.sqlite")
    good = train_on_library(lib, tiny(epochs=6), out_path=tmp_path / "good.ckpt")
    ev = good.evaluation
    assert ev["protocol"] == "held-out playlists" and ev["cases"] >= 4
    assert set(ev["scores"]) == {"new model", "popularity", "iALS"}  # nothing was active
    # A useless new model (no learning at all) against the good one, on the same cases.
    bad = train_on_library(
        lib,
        tiny(epochs=1, lr=1e-9),
        out_path=tmp_path / "bad.ckpt",
        compare_with=good.checkpoint_path,
    )
    scores = bad.evaluation["scores"]
    assert set(scores) == {"new model", "popularity", "iALS", "active model"}
    assert scores["active model"]["ndcg"] > scores["new model"]["ndcg"]
    assert bad.worse_than_active and "active model" in bad.summary
    # Stored with the checkpoint and for the Model menu.
    meta = RecommenderService.load(bad.checkpoint_path).metadata
    assert meta["evaluation"]["scores"]["new model"] == scores["new model"]
    with Library(lib) as library:
        assert library_score(library, good.checkpoint_path)["ndcg"] == pytest.approx(
            scores["active model"]["ndcg"]
        )
        assert library.checkpoints()[0].metrics["library_ndcg"] == scores["new model"]["ndcg"]
    # The bundled demo model knows nothing of this library: it scores 0 here.
    demo = train_on_library(
        lib, tiny(epochs=1), out_path=tmp_path / "c.ckpt", compare_with=config.BUNDLED_CHECKPOINT
    )
    assert demo.evaluation["scores"]["active model"]["ndcg"] == 0.0


def test_leave_n_out_when_there_are_few_playlists() -> None:
    data = Interactions.from_lists([[f"t{i + j}" for j in range(10)] for i in range(5)])
    train, cases = leave_n_out(data)
    assert len(cases) == 5 and all(len(c.targets) == 2 and len(c.seeds) == 8 for c in cases)
    for case in cases:  # the hidden tracks are not in the training graph's row
        assert not set(case.targets) & set(train.row(case.row))


def test_source_choice() -> None:
    real = {"mpd": 10, "demo": 2000, "spotify": 5}
    assert choose_sources(real) == ("mpd",)
    assert choose_sources(real, include_spotify=True) == ("mpd", "spotify")
    assert choose_sources(real, include_demo=True) == ("mpd", "demo")
    assert choose_sources({"demo": 2000}) == ("demo",)  # nothing else: the demo it is
    with pytest.raises(InputError, match="only if you allow it"):
        choose_sources({"spotify": 5, "demo": 2000})
    with pytest.raises(InputError, match="no playlists"):
        choose_sources({})
