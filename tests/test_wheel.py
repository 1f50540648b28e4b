"""The wheel carries the demo catalog and the bundled model, and finds them once installed."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_ships_the_demo_catalog_and_the_bundled_model(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("playlist_assistant-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in (ROOT / "resources" / "demo").iterdir():
        assert f"assistant/bundled/demo/{path.name}" in names
    for name in ("demo.ckpt", "demo.card.json", "MODEL_CARD.md"):
        assert f"assistant/bundled/models/{name}" in names
    assert (
        "assistant/jobs/checkpoints.py" in names and "assistant/ui/mainwindow/__init__.py" in names
    )
    assert not any(n.startswith(("tests/", "resources/", "models/")) for n in names)

    # Installed (unpacked, away from the checkout): the data is found inside the package.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "from assistant import config; "
        "print(config.BUNDLED_CHECKPOINT.is_file(), len(list(config.DEMO_DIR.glob('*.json'))), "
        "config.DEMO_DIR)"
    )
    env = dict(os.environ, PYTHONPATH=str(site))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert out.returncode == 0, out.stderr
    found, n_slices, where = out.stdout.split()
    assert found == "True" and int(n_slices) >= 1
    assert Path(where).is_relative_to(site)
