"""The active model in one place: which checkpoint, a validated switch, the service cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import config
from assistant.config import Settings, load_settings
from assistant.domain import DEMO_SOURCE, Playlist, Track
from assistant.errors import CheckpointError, InputError
from assistant.jobs.checkpoints import (
    activate_checkpoint,
    active_checkpoint_path,
    coverage_sentence,
    foreign_checkpoint_warning,
    load_service,
    resolve_device,
    validate_and_register,
)
from assistant.jobs.recommending import coverage_warning
from assistant.store.library import Library


def test_active_checkpoint_path() -> None:
    assert active_checkpoint_path(Settings()) == config.BUNDLED_CHECKPOINT
    assert active_checkpoint_path(Settings(active_checkpoint="/x/y.ckpt")) == Path("/x/y.ckpt")


def test_a_corrupt_file_is_refused_and_the_active_model_stays(tmp_path: Path) -> None:
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(b"not a checkpoint")
    with Library(tmp_path / "lib.sqlite") as library:
        with pytest.raises(CheckpointError):
            activate_checkpoint(library, junk)
        with pytest.raises(InputError, match="No checkpoint"):
            validate_and_register(library, tmp_path / "missing.ckpt")
        assert library.checkpoints() == []
    assert load_settings().active_checkpoint == ""


def test_a_good_file_is_registered_and_becomes_active(tmp_path: Path) -> None:
    copy = tmp_path / "copy.ckpt"
    copy.write_bytes(config.BUNDLED_CHECKPOINT.read_bytes())
    with Library(tmp_path / "lib.sqlite") as library:
        activated = activate_checkpoint(library, copy)
        assert [r.path for r in library.checkpoints()] == [str(copy.resolve())]
    assert activated.model and activated.path == copy.resolve()
    assert load_settings().active_checkpoint == str(copy.resolve())
    with Library(tmp_path / "lib.sqlite") as library:  # the bundled one: the default again
        activate_checkpoint(library, config.BUNDLED_CHECKPOINT)
    assert load_settings().active_checkpoint == ""


def test_services_are_loaded_once_per_checkpoint_and_device() -> None:
    first = load_service(None, "cpu")  # the active one: bundled
    assert load_service(config.BUNDLED_CHECKPOINT, "cpu") is first
    assert first.checkpoint_path == str(config.BUNDLED_CHECKPOINT.resolve())


def test_one_device_rule() -> None:
    import torch

    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="CUDA"):
            resolve_device("cuda")
    with pytest.raises(InputError, match="Unknown device"):
        resolve_device("tpu")


def test_both_coverage_warnings_are_one_sentence_counted_without_demo_tracks(
    tmp_path: Path,
) -> None:
    real = [Track(f"spotify:track:r{i}", f"Real {i}") for i in range(4)]
    demo = [Track(f"spotify:track:d{i}", f"Demo {i}") for i in range(6)]
    with Library(tmp_path / "lib.sqlite") as library:
        library.save_playlist(Playlist("mine", [t.uri for t in real]), real)
        library.save_playlist(
            Playlist("invented", [t.uri for t in demo], source=DEMO_SOURCE, source_ref="d"), demo
        )
        library.mark_synthetic(t.uri for t in demo)
        knows = [real[0].uri, *(t.uri for t in demo)]  # 1 of the 4 real tracks
        foreign = foreign_checkpoint_warning(library, {"data": {"library_id": "x"}}, knows)
        unknown_origin = coverage_warning(library, knows)
    # One sentence builder, one count (the demo's invented tracks say nothing about
    # whether a model knows the person's music: left out of both).
    assert foreign == coverage_sentence(1, 4, foreign=True)
    assert unknown_origin == coverage_sentence(1, 4, foreign=False)
    assert foreign.startswith(
        "This model was trained on another library: it knows 25% of this library's tracks "
        "(1 of 4); "
    )
    assert unknown_origin.startswith(
        "This model was trained on another library (or before your last imports): it knows "
        "25% of this library's tracks (1 of 4); "
    )
    assert coverage_sentence(40, 40, foreign=True).endswith("(40 of 40).")
    assert "it knows 99% of this library's tracks (999 of 1,000); " in coverage_sentence(
        999, 1000, foreign=True
    )
    assert "it knows 0 of the 12 tracks in this library; " in coverage_sentence(
        0, 12, foreign=False
    )
    assert "no tracks yet" in coverage_sentence(0, 0, foreign=True)
