"""Settings and per-user paths, defaults in one place.

The data directory holds the library and trained checkpoints; ``PLAYLIST_ASSISTANT_HOME``
overrides it (tests always point it at a temporary folder). Settings are a small JSON file
in the config directory, read and written by :func:`load_settings`/:func:`save_settings`;
the Qt window keeps only its geometry in QSettings.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import json
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "playlist-assistant"
APP_AUTHOR = "PlaylistAssistant"
HOME_ENV = "PLAYLIST_ASSISTANT_HOME"

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
RESOURCES_DIR = PROJECT_DIR / "resources"


def _bundled(in_checkout: Path, package: str, member: str) -> Path:
    """A folder of shipped data: in place in a checkout (the source of truth, what `make
    demo`/`make models` write), else the copy inside the installed wheel (a namespace
    package without code, so the folder is found through one of its files)."""
    if in_checkout.is_dir():
        return in_checkout
    return Path(str(importlib.resources.files(package).joinpath(member))).parent


DEMO_DIR = _bundled(RESOURCES_DIR / "demo", "assistant.bundled.demo", "README.md")
MODELS_DIR = _bundled(PROJECT_DIR / "models", "assistant.bundled.models", "demo.ckpt")
BUNDLED_CHECKPOINT = MODELS_DIR / "demo.ckpt"


def data_dir() -> Path:
    """Where the library and checkpoints live (created on demand)."""
    override = os.environ.get(HOME_ENV)
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    """Settings and the Spotify token cache. Under the data dir when it is overridden."""
    override = os.environ.get(HOME_ENV)
    path = (
        Path(override) / "config"
        if override
        else Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR))
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    override = os.environ.get(HOME_ENV)
    path = (
        Path(override) / "cache"
        if override
        else Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR))
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_library_path() -> Path:
    return data_dir() / "library.sqlite"


def checkpoints_dir() -> Path:
    path = data_dir() / "checkpoints"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(slots=True)
class Settings:
    """What the person can change in the Settings dialog."""

    device: str = "auto"  # auto | cpu | cuda
    recommendation_count: int = 50
    max_per_artist: int = 0  # 0 = no limit
    spotify_client_id: str = ""
    spotify_redirect_port: int = 8765
    active_checkpoint: str = ""  # path; empty = the bundled one
    spotify_notice_accepted: bool = False


def settings_path() -> Path:
    return config_dir() / "settings.json"


def load_settings() -> Settings:
    path = settings_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return Settings()
    known = {f.name for f in dataclasses.fields(Settings)}
    return Settings(**{k: v for k, v in raw.items() if k in known})


def save_settings(settings: Settings) -> None:
    path = settings_path()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dataclasses.asdict(settings), indent=2), encoding="utf-8")
    os.replace(tmp, path)
