"""The train / recommend / models / use commands, end to end on a tiny real library."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import load_settings
from assistant.store.library import Library
from tests.jobs.test_training import make_library


@pytest.mark.slow
def test_train_recommend_models_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lib = str(make_library(tmp_path / "lib.sqlite"))
    ckpt = tmp_path / "m.ckpt"
    argv = [
        "train",
        "--library",
        lib,
        "--model",
        "gat-mlp",
        "--out",
        str(ckpt),
        "--epochs",
        "2",
        "--dim",
        "16",
        "--heads",
        "2",
        "--device",
        "cpu",
        "--json",
    ]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["checkpoint"] == str(ckpt) and out["active"] is True
    assert Path(load_settings().active_checkpoint) == ckpt.resolve()

    # --checkpoint defaults to the active one
    assert (
        main(["recommend", "--library", lib, "--playlist", "1", "--k", "5", "--explain", "--json"])
        == 0
    )
    rec = json.loads(capsys.readouterr().out)
    assert rec["model"] == "gat-mlp" and rec["playlist_id"] == 1
    assert rec["unknown_seeds"] == [] and len(rec["recommendations"]) == 5
    assert rec["seed_coverage"] == {"track": 8, "artist_or_album": 0, "none": 0}
    with Library(lib) as library:
        seeds = set(library.playlist(1).track_uris)
        assert library.recommendation_runs(1)[0].id == rec["run_id"]
    for item in rec["recommendations"]:
        assert item["track_uri"] not in seeds and item["track_name"].startswith("Song")
        assert {x["kind"] for x in item["explanation"]} == {"seed"}  # a track-only model
        assert item["why"].startswith("Mostly because of Song ")
        total = item["bias"] + sum(x["contribution"] for x in item["explanation"])
        assert total == pytest.approx(item["score"], abs=1e-4)

    seeds_file = tmp_path / "seeds.json"
    seeds_file.write_text(json.dumps(["spotify:track:c2t1", "spotify:track:zzz"]))
    assert (
        main(
            [
                "recommend",
                "--library",
                lib,
                "--checkpoint",
                str(ckpt),
                "--seeds",
                str(seeds_file),
                "--k",
                "3",
                "--json",
            ]
        )
        == 0
    )
    rec = json.loads(capsys.readouterr().out)
    assert rec["unknown_seeds"] == ["spotify:track:zzz"] and rec["playlist_id"] is None
    assert rec["seed_coverage"] == {"track": 1, "artist_or_album": 0, "none": 1}

    assert main(["recommend", "--library", lib, "--playlist", "1", "--k", "3", "--explain"]) == 0
    out = capsys.readouterr()
    text = out.out
    assert "Seeds: 8 (8 known to the model)." in out.err.splitlines()
    assert "1. Artist" in text
    assert "← seed: Song " in text  # neighbours by name, not by URI
    assert "       Mostly because of Song " in text
    assert "= bias" in text and "= score" in text

    other = tmp_path / "other.ckpt"
    other.write_bytes(ckpt.read_bytes())
    assert main(["use", "--library", lib, str(other)]) == 0
    capsys.readouterr()
    assert main(["models", "--library", lib, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    active = [c["path"] for c in listed["checkpoints"] if c["active"]]
    assert active == [str(other.resolve())]
    assert len(listed["checkpoints"]) == 2


@pytest.mark.slow
def test_bad_inputs_give_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lib = str(make_library(tmp_path / "lib.sqlite", n_playlists=6))
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(b"not a model")
    assert main(["use", "--library", lib, str(junk)]) == 1
    assert "not a Playlist Assistant checkpoint" in capsys.readouterr().err
    assert main(["recommend", "--library", lib, "--checkpoint", str(junk), "--playlist", "1"]) == 1
    bad = tmp_path / "seeds.json"
    bad.write_text('{"a": 1}')
    ckpt = tmp_path / "m.ckpt"
    assert (
        main(
            [
                "train",
                "--library",
                lib,
                "--out",
                str(ckpt),
                "--epochs",
                "1",
                "--dim",
                "8",
                "--device",
                "cpu",
                "--no-activate",
            ]
        )
        == 0
    )
    assert load_settings().active_checkpoint == ""
    capsys.readouterr()
    assert (
        main(["recommend", "--library", lib, "--checkpoint", str(ckpt), "--seeds", str(bad)]) == 2
    )
    assert "JSON list" in capsys.readouterr().err


@pytest.mark.slow
def test_train_with_the_studys_bpr_loss(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.ml import checkpoint

    lib = str(make_library(tmp_path / "lib.sqlite"))
    ckpt = tmp_path / "bpr.ckpt"
    argv = ["train", "--library", lib, "--out", str(ckpt), "--epochs", "2", "--dim", "16"]
    argv += ["--model", "gat-mlp", "--loss", "bpr", "--negatives", "random", "--fold-in"]
    argv += ["--no-activate", "--json"]
    assert main(argv) == 0
    capsys.readouterr()
    config = checkpoint.load(ckpt).metadata["config"]
    assert (config["loss"], config["negatives"], config["fold_in"]) == ("bpr", "random", True)


@pytest.mark.slow
def test_recommend_uses_a_new_track_through_its_artist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The content model (hgat) reads a track it never saw through its known artist: the
    JSON counts it under artist_or_album (not unknown_seeds), the text line says so."""
    from assistant.domain import Playlist, Track

    lib = str(make_library(tmp_path / "lib.sqlite"))
    ckpt = tmp_path / "hgat.ckpt"
    argv = ["train", "--library", lib, "--out", str(ckpt), "--model", "hgat"]
    argv += ["--epochs", "2", "--dim", "16", "--device", "cpu", "--no-activate", "--json"]
    assert main(argv) == 0
    capsys.readouterr()
    new = Track("spotify:track:fresh", "Fresh", "spotify:artist:a01", "Artist 01")
    with Library(lib) as library:
        pid = library.save_playlist(
            Playlist("new one", ["spotify:track:c0t1", new.uri], source="file", source_ref="n"),
            [new],
        )
    base = ["recommend", "--library", lib, "--checkpoint", str(ckpt), "--playlist", str(pid)]
    assert main([*base, "--k", "5", "--explain", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["model"] == "hgat" and rec["kind"] == "model"
    assert rec["seed_coverage"] == {"track": 1, "artist_or_album": 1, "none": 0}
    assert rec["unknown_seeds"] == []
    for item in rec["recommendations"]:
        seeds = {x["neighbor_uri"] for x in item["explanation"] if x["kind"] == "seed"}
        assert seeds == {"spotify:track:c0t1", new.uri}
        total = item["bias"] + sum(x["contribution"] for x in item["explanation"])
        assert total == pytest.approx(item["score"], abs=1e-4)
    assert main([*base, "--k", "3"]) == 0
    out = capsys.readouterr()
    assert "Seeds: 2 (1 known to the model, 1 through their artist or album only)." in (
        out.err.splitlines()
    )
    assert out.out.startswith("1 of 2 tracks known to the model, 1 more through their artist")
