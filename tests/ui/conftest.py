"""Fixtures for the window tests: a demo library built once, copied per test."""

from __future__ import annotations

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
