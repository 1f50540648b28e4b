"""Saves the main window with recommendations and an explanation showing.

Run under a real X server (the xcb platform), e.g.::

    QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1280x800x24" \
        .venv/bin/python tests/benchmarks/screenshot.py [OUT.png]

It opens the window on a fresh copy of the demo library (in a temporary data directory,
so the person's own library is never touched), picks a playlist, waits for the
recommendations, selects one, and grabs the screen (``QScreen.grabWindow(0)``).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DEFAULT_OUT = ROOT / "docs" / "screenshot.png"
PLAYLIST_NAME = os.environ.get("SCREENSHOT_PLAYLIST", "road trip")


def take(
    out: Path,
    *,
    width: int = 1280,
    height: int = 800,
    timeout_ms: int = 60_000,
    explain: bool = False,
) -> Path:
    """Builds the window, waits for proposals, and saves the screen grab to ``out``.

    ``explain=True`` saves only the "Why this track?" panel (its sentence and bars).
    """
    home = Path(tempfile.mkdtemp(prefix="pa-shot-"))
    os.environ["PLAYLIST_ASSISTANT_HOME"] = str(home)

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from assistant.app import build
    from assistant.jobs.imports import ensure_demo_library
    from assistant.store.library import Library

    if os.environ.get("SCREENSHOT_CHECKPOINT"):  # another model than the bundled one
        from assistant.config import Settings, save_settings

        save_settings(Settings(active_checkpoint=os.environ["SCREENSHOT_CHECKPOINT"]))
    library_path = home / "library.sqlite"
    with Library(library_path) as library:
        ensure_demo_library(library)
        candidates = library.playlists(PLAYLIST_NAME) or library.playlists(limit=1)
        wanted = max(candidates[:20], key=lambda p: min(p.num_tracks, 18)).id

    app, window = build(["--library", str(library_path)])
    window.resize(width, height)
    window.move(0, 0)
    window.show()
    window.start()

    errors: list[str] = []
    window.error_shown.connect(errors.append)

    def wait(signal, ms: int) -> bool:
        loop = QEventLoop()
        got = []
        signal.connect(lambda *a: (got.append(a), loop.quit()))
        window.error_shown.connect(lambda _t: loop.quit())  # no use waiting on
        QTimer.singleShot(ms, loop.quit)
        loop.exec()
        return bool(got)

    wait(window.library_refreshed, 10_000)
    window.sidebar.select_playlist(wanted)
    if not wait(window.recommendations_shown, timeout_ms):
        print(
            f"warning: no recommendations arrived ({'; '.join(errors) or 'timeout'}); "
            "the screenshot shows none",
            file=sys.stderr,
        )
    if window.recs.model.rowCount() > 2:
        window.recs.view.selectRow(2)
    window.playlist_panel.view.selectRow(0)
    out.parent.mkdir(parents=True, exist_ok=True)
    saved: list[bool] = []

    def grab() -> None:
        # Grab while the event loop runs: after it returns, xcb hands back a black image.
        screen = window.screen() or app.primaryScreen()
        if explain:
            panel = window.explanation.parentWidget()
            corner = panel.mapToGlobal(panel.rect().topLeft())
            image = screen.grabWindow(0, corner.x(), corner.y(), panel.width(), panel.height())
        else:
            image = screen.grabWindow(0, 0, 0, width, height)
        saved.append(image.save(str(out)))
        app.quit()

    QTimer.singleShot(800, grab)
    app.exec()
    if not saved or not saved[0]:
        raise SystemExit(f"could not write {out}")
    window.close()
    QApplication.processEvents()
    return out


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Save a screenshot of the window.")
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--size", default="1280x800", help="window size, WIDTHxHEIGHT")
    parser.add_argument("--explain", action="store_true", help="only the Why panel")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    print(take(args.out, width=width, height=height, explain=args.explain))
    return 0


if __name__ == "__main__":
    sys.exit(main())
