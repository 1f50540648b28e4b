"""`evaluate` and `challenge` end to end on a real SQLite library (the demo catalog)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.errors import InputError
from assistant.jobs.evaluating import write_submission
from assistant.store import Library


@pytest.fixture(scope="module")
def demo_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lib") / "library.sqlite"
    assert main(["demo", "--library", str(path)]) == 0
    return path


def test_evaluate_baseline_prints_json_metrics(
    demo_library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "evaluate",
            "--baseline",
            "cooccurrence",
            "--library",
            str(demo_library),
            "--json",
            "--by-category",
            "--n-test",
            "60",
        ]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"] == "cooccurrence" and report["protocol"] == "challenge"
    m = report["metrics"]
    assert set(m) >= {"recall@20", "recall@50", "recall@300", "r_precision", "ndcg", "clicks"}
    assert 0 < m["cases"] <= 60
    assert 0 <= m["ndcg"] <= 1 and 0 <= m["clicks"] <= 51
    assert "first-5" in report["by_category"]


def test_evaluate_link_protocol_beats_popularity_with_cooccurrence(
    demo_library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = {}
    for name in ("popularity", "cooccurrence"):
        assert (
            main(
                [
                    "evaluate",
                    "--baseline",
                    name,
                    "--protocol",
                    "link",
                    "--library",
                    str(demo_library),
                    "--json",
                ]
            )
            == 0
        )
        results[name] = json.loads(capsys.readouterr().out)["metrics"]
    assert results["cooccurrence"]["recall@50"] > results["popularity"]["recall@50"]


@pytest.mark.slow
def test_evaluate_ials_is_tuned_on_validation_and_beats_popularity(
    demo_library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = {}
    for name in ("popularity", "ials"):
        args = ["evaluate", "--baseline", name, "--library", str(demo_library), "--json"]
        assert main([*args, "--n-test", "60"]) == 0
        results[name] = json.loads(capsys.readouterr().out)
    ials = results["ials"]
    assert ials["model"] == "ials"
    assert any(n.startswith("ials tuned on 60 validation cases: factors=") for n in ials["notes"])
    assert ials["metrics"]["ndcg"] > results["popularity"]["metrics"]["ndcg"]


def _challenge_set(path: Path, library: Path) -> list[list[str]]:
    with Library(library) as lib:
        playlists = [lib.playlist(p.id) for p in lib.playlists(limit=3)]
    seeds = [[], playlists[1].track_uris[:1], playlists[2].track_uris[:5]]
    doc = {
        "date": "2018-01-16",
        "version": "v1",
        "playlists": [
            {
                "pid": 1000 + i,
                "name": f"mix {i}",
                "num_holdouts": 10,
                "num_samples": len(s),
                "num_tracks": len(s) + 10,
                "tracks": [{"pos": j, "track_uri": u} for j, u in enumerate(s)],
            }
            for i, s in enumerate(seeds)
        ],
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return seeds


def test_challenge_writes_the_official_submission(demo_library: Path, tmp_path: Path) -> None:
    challenge = tmp_path / "challenge_set.json"
    seeds = _challenge_set(challenge, demo_library)
    out = tmp_path / "sub" / "submission.csv"
    code = main(
        [
            "challenge",
            "--baseline",
            "cooccurrence",
            "--library",
            str(demo_library),
            "--challenge-set",
            str(challenge),
            "--out",
            str(out),
            "--team",
            "Team A",
            "--email",
            "a@example.org",
        ]
    )
    assert code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "team_info,Team A,a@example.org"
    assert len(lines) == 4
    for line, s in zip(lines[1:], seeds, strict=True):
        pid, *uris = line.split(",")
        assert int(pid) in {1000, 1001, 1002}
        assert len(uris) == 500 == len(set(uris))
        assert not set(uris) & set(s)
        assert all(u.startswith("spotify:track:") for u in uris)
    assert not list(out.parent.glob("*.part"))


def test_submission_refuses_commas_in_team_info(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        write_submission(tmp_path / "s.csv", [], team="a,b", email="x@y")
    write_submission(tmp_path / "s.csv", [(1, ["u"])], team="t", email="e", track="main")
    assert (tmp_path / "s.csv").read_text().splitlines() == ["team_info,t,main,e", "1,u"]


def test_evaluate_without_recommender_or_with_missing_checkpoint_says_what_to_do(
    demo_library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["evaluate", "--checkpoint", str(tmp_path / "none.ckpt"), "--library", str(demo_library)]
    )
    assert code != 0
    err = capsys.readouterr().err
    assert "checkpoint" in err.lower() or "baseline" in err.lower()


@pytest.mark.slow
def test_evaluate_and_challenge_with_a_trained_checkpoint(
    demo_library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A checkpoint that records its held-out playlists is scored on exactly those."""
    from assistant.jobs.evaluating import library_interactions
    from assistant.ml import checkpoint
    from assistant.ml import train as train_mod
    from assistant.ml.split import challenge_split
    from assistant.store import Library

    data = library_interactions(demo_library)
    split = challenge_split(data, n_val=50, n_test=50, seed=0)
    config = train_mod.TrainConfig(model="gat-mlp", dim=16, epochs=1, device="cpu")
    result = train_mod.train(split.train, config)
    held = sorted({c.playlist_id for c in split.test})
    ckpt = tmp_path / "model.ckpt"
    with Library(demo_library) as library:  # held-out ids count only on their own library
        trained_on = {"library_id": library.library_id()}
    checkpoint.save_trained(
        ckpt,
        result,
        graph_fingerprint="test",
        extra={"heldout_playlist_ids": held, "data": trained_on},
    )
    code = main(
        [
            "evaluate",
            "--checkpoint",
            str(ckpt),
            "--library",
            str(demo_library),
            "--json",
            "--n-test",
            "50",
        ]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"] == "gat-mlp"
    assert 0 < report["metrics"]["cases"] <= 50
    assert any("held out" in n for n in report["notes"])

    # Without that metadata, the report warns that the numbers may be optimistic.
    bare = tmp_path / "bare.ckpt"
    checkpoint.save_trained(bare, result, graph_fingerprint="test")
    assert (
        main(
            [
                "evaluate",
                "--checkpoint",
                str(bare),
                "--library",
                str(demo_library),
                "--json",
                "--n-test",
                "20",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert any("optimistic" in n for n in report["notes"])

    challenge = tmp_path / "challenge_set.json"
    _challenge_set(challenge, demo_library)
    out = tmp_path / "submission.csv"
    code = main(
        [
            "challenge",
            "--checkpoint",
            str(ckpt),
            "--challenge-set",
            str(challenge),
            "--out",
            str(out),
        ]
    )
    assert code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("team_info,")
    assert all(len(line.split(",")) == 501 for line in lines[1:])


@pytest.mark.slow
def test_evaluation_gives_the_checkpoint_names_and_seed_artists() -> None:
    """``evaluate``/``challenge`` rank through the service as the app does: a title-only
    case reaches the content model with its name (not popularity), and a seed outside
    the checkpoint's vocabulary with its artist and album from the library."""
    from assistant.jobs.evaluating import service_ranker
    from assistant.ml.graph import Interactions
    from assistant.ml.recommend import RecommenderService
    from assistant.ml.train import train
    from tests.ml.test_content_model import config, content_data

    data = content_data()
    service = RecommenderService.from_scorer(train(data, config()).model)
    rank = service_ranker(service, data)
    jazz, _ = rank([], 10, "Jazz evening")
    popular, _ = rank([], 10, "")
    assert jazz != popular
    assert sum(u.startswith("spotify:track:c1") for u in jazz) >= 7
    # a library track the checkpoint never saw, by an artist it knows
    new = "spotify:track:new"
    artists = {u: data.artist_uris[i] for u, i in zip(data.track_uris, data.artist_of, strict=True)}
    albums = {u: data.album_uris[i] for u, i in zip(data.track_uris, data.album_of, strict=True)}
    library = Interactions.from_lists([[new]], track_uris=[*data.track_uris, new])
    library = library.with_content({**artists, new: "spotify:artist:g1a0"}, albums)
    ranked, unknown = service_ranker(service, library)([new], 10, "")
    assert unknown == 0 and sum(u.startswith("spotify:track:c1") for u in ranked) >= 7
    _, unknown = service_ranker(service)([new], 10, "")  # without the library's metadata
    assert unknown == 1
    # a challenge set names each seed's artist and album itself
    given = {new: ("spotify:artist:g1a0", "")}
    ranked, unknown = service_ranker(service)([new], 10, "", given)
    assert unknown == 0 and sum(u.startswith("spotify:track:c1") for u in ranked) >= 7
