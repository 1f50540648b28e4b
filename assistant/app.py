"""Composition root of the GUI: arguments, settings, library path, the main window.

``python -m assistant`` (no arguments) and the ``playlist-assistant-gui`` script call
:func:`main`. ``--library PATH`` opens another library file than the per-user one.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from assistant.config import APP_NAME, default_library_path, load_settings


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="playlist-assistant-gui", description="Open the window.")
    parser.add_argument(
        "--library",
        type=Path,
        default=None,
        help="the SQLite library file (default: the per-user library)",
    )
    args, _qt_args = parser.parse_known_args(list(argv) if argv is not None else sys.argv[1:])
    return args


def build(argv: Sequence[str] | None = None):
    """Creates the QApplication (or reuses one) and the main window, not yet shown.

    Returns:
        (app, window).
    """
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from assistant.ui.mainwindow import MainWindow

    args = parse_args(argv)
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else APP_NAME])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("Playlist Assistant")
    app.setOrganizationName("PlaylistAssistant")
    app.setDesktopFileName("io.github.playlist_assistant")
    icon = Path(__file__).resolve().parent.parent / "resources" / "icons" / "playlist-assistant.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    window = MainWindow(args.library or default_library_path(), load_settings())
    return app, window


def main(argv: Sequence[str] | None = None) -> int:
    """Opens the window on the library (demo catalog on first start) and runs Qt."""
    from assistant.errors import AssistantError

    try:
        app, window = build(argv)
    except AssistantError as exc:
        print(f"playlist-assistant: {exc}", file=sys.stderr)
        return exc.exit_code
    window.show()
    window.start()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
