"""A tiny training run updates the plot; a cancelled one leaves the previous model."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.errors import Cancelled
from assistant.jobs.choices import TrainConfig
from assistant.ui import actions

# Every test here trains a model.
pytestmark = pytest.mark.slow


def _tiny(epochs: int) -> TrainConfig:
    return TrainConfig(
        model="gat-mlp", epochs=epochs, dim=16, heads=2, patience=epochs, device="cpu"
    )


def test_tiny_training_plots_and_becomes_active(make_window, tiny_library: Path, qtbot) -> None:
    window = make_window(tiny_library)
    dialog = actions.open_train_dialog(window)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.trained, timeout=60_000) as blocker:
        dialog.start(_tiny(2))
    assert [p["epoch"] for p in dialog.history] == [1.0, 2.0]
    xs, ys = dialog.loss_curve.getData()
    assert list(xs) == [1.0, 2.0] and all(y == y for y in ys)
    path = str(blocker.args[0].checkpoint_path)
    assert Path(path).exists()
    assert window.settings.active_checkpoint == path
    assert path in window.model_label.toolTip()
    assert any(a.isChecked() and a.toolTip() == path for a in window.model_group.actions())


def test_cancel_keeps_the_previous_model(make_window, tiny_library: Path, qtbot) -> None:
    previous = str(tiny_library.parent / "previous.ckpt")
    window = make_window(tiny_library, Settings(active_checkpoint=previous))
    dialog = actions.open_train_dialog(window)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.epoch_plotted, timeout=60_000):
        dialog.start(_tiny(200))
    with qtbot.waitSignal(dialog.job.failed, timeout=60_000) as blocker:
        dialog.cancel_button.click()
    assert isinstance(blocker.args[0], Cancelled)
    assert dialog.cancelled and "previous model" in dialog.status.text()
    assert window.settings.active_checkpoint == previous
    assert dialog.loss_curve.getData()[0] is not None
    assert not list((Path(dialog.out_dir)).glob("*.ckpt"))  # nothing half-written


def test_form_choices_reach_the_trained_model(make_window, tiny_library: Path, qtbot) -> None:
    from assistant.ml import checkpoint

    window = make_window(tiny_library)
    dialog = actions.open_train_dialog(window)
    qtbot.addWidget(dialog)
    dialog.model.setCurrentIndex(dialog.model.findData("lightgcn"))
    dialog.loss.setCurrentIndex(dialog.loss.findData("bpr:random"))
    dialog.epochs.setValue(2)
    dialog.dim.setValue(16)
    dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
    assert dialog.config()["loss"] == "bpr" and dialog.config()["negatives"] == "random"
    with qtbot.waitSignal(dialog.trained, timeout=60_000) as blocker:
        dialog.start()
    meta = checkpoint.load(blocker.args[0].checkpoint_path).metadata
    assert meta["architecture"] == "lightgcn"
    assert (meta["config"]["loss"], meta["config"]["negatives"]) == ("bpr", "random")
    assert dialog.loss.isEnabled()  # the form is usable again after the run
