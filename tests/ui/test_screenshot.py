"""The window under a real X server (xcb), saved as a PNG.

Runs when Xvfb is installed (``xvfb-run`` on the PATH; Debian: ``apt-get install xvfb
xauth libxcb-icccm4 libxcb-keysyms1``) and saves to a temporary file; skipped otherwise.
``PLAYLIST_ASSISTANT_SCREENSHOT=PATH`` keeps the picture (and uses ``$DISPLAY`` if set):

    PLAYLIST_ASSISTANT_SCREENSHOT=/tmp/shot.png .venv/bin/python -m pytest tests/ui/test_screenshot.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET = os.environ.get("PLAYLIST_ASSISTANT_SCREENSHOT")


@pytest.mark.slow
@pytest.mark.skipif(
    not TARGET and shutil.which("xvfb-run") is None,
    reason="needs Xvfb (xvfb-run) or PLAYLIST_ASSISTANT_SCREENSHOT=PATH with a display",
)
def test_screenshot_under_xcb(tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    out = Path(TARGET) if TARGET else tmp_path / "screenshot.png"
    cmd = [sys.executable, str(ROOT / "tests" / "benchmarks" / "screenshot.py"), str(out)]
    if not os.environ.get("DISPLAY"):
        if shutil.which("xvfb-run") is None:
            pytest.skip("no DISPLAY and no xvfb-run")
        cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", *cmd]
    env = dict(os.environ, QT_QPA_PLATFORM="xcb")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0 and 'platform plugin "xcb"' in proc.stderr and not TARGET:
        # Xvfb is there but not the X client libraries Qt's xcb plugin needs.
        pytest.skip("Qt's xcb plugin cannot load (apt-get install libxcb-cursor0 ...)")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "no recommendations" not in proc.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 800)
    colours = {image.pixel(x, y) for x in range(0, 1280, 37) for y in range(0, 800, 23)}
    assert len(colours) > 8, "the grab is blank"
