"""Training on your own Spotify playlists: opt-in, real proposals, deleted on disconnect."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import Settings, load_settings, save_settings
from assistant.jobs import spotify_sync as sync
from assistant.jobs.imports import import_demo
from assistant.sources.spotify import SpotipyGateway
from assistant.store import Library
from tests.spotify.fake_server import FakeSpotify

TINY = ["--epochs", "2", "--dim", "16", "--heads", "2", "--device", "cpu", "--json"]


def spotify_library(fake: FakeSpotify, gateway: SpotipyGateway, library: Library) -> list[str]:
    """45 Spotify playlists of 8 tracks, each from one of three 20-track clusters; plus
    the demo catalog, whose synthetic tracks must never be proposed."""
    rng = random.Random(3)
    ids = [
        fake.add_playlist(f"mix {i}", rng.sample(range(20 * (i % 3), 20 * (i % 3) + 20), 8))
        for i in range(45)
    ]
    sync.import_playlists(gateway, library, ids)
    import_demo(library)
    return ids


@pytest.mark.slow
def test_train_on_spotify_playlists_only_when_allowed_and_forget_on_disconnect(
    fake: FakeSpotify,
    gateway: SpotipyGateway,
    library: Library,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = spotify_library(fake, gateway, library)
    save_settings(Settings(spotify_client_id="test-client"))
    lib, ckpt = str(library.path), tmp_path / "mine.ckpt"

    # Without the opt-in: a clear message, nothing trained.
    assert main(["train", "--library", lib, "--out", str(ckpt), *TINY]) == 2
    err = capsys.readouterr().err
    assert "only if you allow it" in err and "--include-spotify" in err
    assert "Developer Terms" in err and not ckpt.exists()

    assert main(["train", "--library", lib, "--out", str(ckpt), "--include-spotify", *TINY]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["data"]["sources"] == ["spotify"]  # the demo is left out: real playlists exist
    assert Path(load_settings().active_checkpoint) == ckpt.resolve()
    assert library.checkpoints()[0].sources == ("spotify",)

    argv = ["recommend", "--library", lib, "--playlist", f"spotify:{ids[4]}", "--k", "10", "--json"]
    assert main(argv) == 0
    rec = json.loads(capsys.readouterr().out)
    seeds = set(library.find_playlist(f"spotify:{ids[4]}").track_uris)
    proposed = [r["track_uri"] for r in rec["recommendations"]]
    assert rec["kind"] == "model" and len(proposed) == 10
    assert not seeds & set(proposed)
    assert not library.synthetic_uris(proposed)
    assert set(library.tracks(proposed)) == set(proposed)  # real library tracks

    assert main(["spotify", "disconnect", "--library", lib]) == 0
    out = capsys.readouterr().out
    assert "1 models trained on them deleted" in out and "bundled model is active" in out
    assert not ckpt.exists() and load_settings().active_checkpoint == ""
    assert library.checkpoints() == []
