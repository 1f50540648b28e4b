"""The Model menu switches models the way `playlist-assistant use` does: validated first."""

from __future__ import annotations

import shutil
from pathlib import Path

from assistant import config
from assistant.config import Settings, load_settings


def test_a_corrupt_checkpoint_is_refused_and_the_model_stays(
    make_window, demo_library: Path, tmp_path: Path, qtbot
) -> None:
    window = make_window(demo_library, Settings())
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(b"not a checkpoint")
    with qtbot.waitSignal(window.error_shown, timeout=60_000) as blocker:
        window.choose_checkpoint(junk)
    assert "checkpoint" in blocker.args[0].lower()
    assert window.settings.active_checkpoint == ""
    assert load_settings().active_checkpoint == ""


def test_a_good_checkpoint_is_registered_and_becomes_active(
    make_window, demo_library: Path, tmp_path: Path, qtbot
) -> None:
    window = make_window(demo_library, Settings())
    copy = tmp_path / "copy.ckpt"
    shutil.copy(config.BUNDLED_CHECKPOINT, copy)
    with qtbot.waitSignal(window.model_changed, timeout=60_000):
        window.choose_checkpoint(copy)
    assert window.settings.active_checkpoint == str(copy.resolve())
    assert str(copy.resolve()) in [r.path for r in window.library.checkpoints()]
    labels = [a.toolTip() for a in window.model_group.actions() if a.isChecked()]
    assert labels == [str(copy.resolve())]
