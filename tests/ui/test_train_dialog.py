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
    # The bundled model was trained on the whole demo, so it scores higher on it than a
    # 2-epoch model: the person is asked, and here chooses the new model.
    dialog.ask_keep_active = lambda _outcome: False
    with qtbot.waitSignal(dialog.trained, timeout=60_000) as blocker:
        dialog.start(_tiny(2))
    assert [p["epoch"] for p in dialog.history] == [1.0, 2.0]
    xs, ys = dialog.loss_curve.getData()
    assert list(xs) == [1.0, 2.0] and all(y == y for y in ys)
    path = str(blocker.args[0].checkpoint_path)
    assert Path(path).exists()
    assert window.settings.active_checkpoint == path
    assert path in window.model_label.toolTip()
    assert any(a.isChecked() and a.data() == path for a in window.model_group.actions())


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
    dialog.ask_keep_active = lambda _outcome: False
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


def _with_spotify_playlists(path: Path, n: int = 30) -> Path:
    """Adds Spotify-imported playlists (made of the library's tracks) to a library."""
    from assistant.domain import Playlist
    from assistant.store.library import Library

    with Library(path) as library:
        uris = [t.uri for t in library.iter_all_tracks()][:300]
        for i in range(n):
            picks = uris[i * 7 % 250 : i * 7 % 250 + 10]
            library.save_playlist(Playlist(f"sp {i}", picks, "spotify", f"sp{i:020d}"))
    return path


@pytest.mark.slow
def test_spotify_question_is_asked_once(make_window, tiny_library: Path, qtbot) -> None:
    window = make_window(_with_spotify_playlists(tiny_library))
    asked: list[str] = []
    window.ask = lambda title, _text: asked.append(title) or True
    dialog = actions.open_train_dialog(window)
    qtbot.addWidget(dialog)
    dialog.ask_keep_active = lambda _outcome: False
    boxes = dialog.source_boxes
    # Real (Spotify) playlists exist: the demo is left out; Spotify is ticked, to be asked.
    assert boxes["spotify"].isChecked() and not boxes["demo"].isChecked()
    assert "playlist entries" in dialog.estimate.text()
    with qtbot.waitSignal(dialog.trained, timeout=90_000) as blocker:
        dialog.start(_tiny(1))
    assert asked == ["Train on your Spotify playlists?"]
    assert window.settings.train_on_spotify == "yes"
    assert blocker.args[0].data["sources"] == ["spotify"]
    assert window.library.checkpoints()[0].sources == ("spotify",)
    dialog.close()

    again = actions.open_train_dialog(window)
    qtbot.addWidget(again)
    assert again.source_boxes["spotify"].isChecked()
    again.start(_tiny(50))
    assert asked == ["Train on your Spotify playlists?"]  # the choice is a setting
    with qtbot.waitSignal(again.job.failed, timeout=60_000):
        again.cancel_button.click()


@pytest.mark.slow
def test_a_worse_new_model_is_not_activated_without_asking(
    make_window, tiny_library: Path, qtbot
) -> None:
    from assistant import config

    window = make_window(tiny_library)  # the bundled model is active
    dialog = actions.open_train_dialog(window)
    qtbot.addWidget(dialog)
    questions: list[object] = []
    dialog.ask_keep_active = lambda outcome: questions.append(outcome) or True  # keep it
    with qtbot.waitSignal(dialog.trained, timeout=90_000) as blocker:
        dialog.start(_tiny(1))
    outcome = blocker.args[0]
    assert outcome.worse_than_active and questions == [outcome]
    assert window.settings.active_checkpoint == ""  # still the bundled model
    assert dialog.kept_active and "kept the active model" in dialog.status.text()
    assert "NDCG on" in dialog.summary.text() and "active model" in dialog.summary.text()
    # The Model menu lists both, each with its score on this library.
    labels = {a.data(): a.text() for a in window.model_group.actions()}
    assert "NDCG" in labels[str(config.BUNDLED_CHECKPOINT)]
    assert "NDCG" in labels[str(outcome.checkpoint_path)]
    assert labels[str(config.BUNDLED_CHECKPOINT)].startswith("Bundled demo model")
