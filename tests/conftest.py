"""Test setup: headless Qt, an isolated data directory, and the optional shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Before any Qt import: tests never need a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MPD_SAMPLE = SHARED / "data" / "mpd-sample" / "mpd.slice.sample-1000.json"
SPOTIFY_SPEC = SHARED / "spotify" / "spotify-web-api.openapi.yml"


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets its own data directory: nothing touches the person's real library."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("PLAYLIST_ASSISTANT_HOME", str(home))
    return home


@pytest.fixture
def mpd_sample() -> Path:
    """The real 1,000-playlist MPD sample; skips when ../shared is absent (fresh clone)."""
    if not MPD_SAMPLE.exists():
        pytest.skip("../shared/data/mpd-sample is not present (fresh clone)")
    return MPD_SAMPLE


@pytest.fixture
def spotify_spec() -> Path:
    if not SPOTIFY_SPEC.exists():
        pytest.skip("../shared/spotify/spotify-web-api.openapi.yml is not present")
    return SPOTIFY_SPEC
