"""Fixtures for the window tests: a demo library built once, copied per test."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from assistant.config import Settings
from assistant.jobs.imports import ensure_demo_library
from assistant.store.library import Library


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo catalog imported once per session (about half a second)."""
    path = tmp_path_factory.mktemp("demo-template") / "library.sqlite"
    with Library(path) as library:
        ensure_demo_library(library)
        library.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def demo_library(demo_template: Path, tmp_path: Path) -> Path:
    """A private copy of the demo library for one test."""
    path = tmp_path / "library.sqlite"
    shutil.copy(demo_template, path)
    return path


@pytest.fixture
def make_window(qtbot):
    """Builds MainWindows on a library; confirmations answer yes; closed after the test."""
    from assistant.ui.main_window import MainWindow

    windows: list[MainWindow] = []

    def make(library_path: Path, settings: Settings | None = None) -> MainWindow:
        window = MainWindow(library_path, settings or Settings())
        window.ask = lambda _title, _text: True
        qtbot.addWidget(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.worker.shutdown()


@pytest.fixture
def window(make_window, demo_library: Path) -> Iterator:
    """A window on a copy of the demo library, shown, its sidebar loaded."""
    w = make_window(demo_library)
    w.show()
    w.refresh_library()
    yield w


@pytest.fixture(scope="session")
def checkpoint(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled demo checkpoint, or (before it exists) a tiny one trained here.

    ``PLAYLIST_ASSISTANT_TEST_CHECKPOINT=PATH`` runs the window tests with another one.
    """
    from assistant.config import BUNDLED_CHECKPOINT

    override = os.environ.get("PLAYLIST_ASSISTANT_TEST_CHECKPOINT")
    if override:
        return Path(override)
    if BUNDLED_CHECKPOINT.exists():
        return BUNDLED_CHECKPOINT
    from assistant.jobs import training
    from assistant.jobs.choices import TrainConfig

    folder = tmp_path_factory.mktemp("tiny-ckpt")
    library = folder / "library.sqlite"
    shutil.copy(demo_template, library)
    outcome = training.train_on_library(
        library,
        TrainConfig(epochs=2, dim=16, heads=2, patience=2, device="cpu"),
        out_path=folder / "tiny.ckpt",
    )
    return Path(outcome.checkpoint_path)


@pytest.fixture
def rec_window(make_window, demo_library: Path, checkpoint: Path):
    """A window on the demo copy that scores with ``checkpoint`` (20 proposals)."""
    w = make_window(
        demo_library, Settings(active_checkpoint=str(checkpoint), recommendation_count=20)
    )
    w.rec_timer.setInterval(0)  # the debounce is tested on its own
    w.show()
    w.refresh_library()
    return w


@pytest.fixture
def tiny_library(demo_template: Path, tmp_path: Path) -> Path:
    """The demo library cut down to 120 playlists: a graph small enough to train on in tests."""
    path = tmp_path / "tiny.sqlite"
    shutil.copy(demo_template, path)
    with Library(path) as library:
        keep = {p.id for p in library.playlists(limit=120)}
        with library.atomic():
            for p in library.playlists():
                if p.id not in keep:
                    library.conn.execute("DELETE FROM playlists WHERE id = ?", (p.id,))
    return path
