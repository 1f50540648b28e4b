"""The active model in one place: which checkpoint, a validated switch, the service cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import config
from assistant.config import Settings, load_settings
from assistant.errors import CheckpointError, InputError
from assistant.jobs.checkpoints import (
    activate_checkpoint,
    active_checkpoint_path,
    load_service,
    resolve_device,
    validate_and_register,
)
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
