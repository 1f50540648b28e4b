"""Fixtures: a fake Spotify on 127.0.0.1, the app pointed at it, a signed-in gateway."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from assistant.config import Settings
from assistant.sources.spotify import SpotipyGateway
from assistant.sources.spotify_auth import ACCOUNTS_URL_ENV, API_URL_ENV
from assistant.store import Library
from tests.conftest import SPOTIFY_SPEC
from tests.spotify.fake_server import FakeSpotify


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def person(url: str) -> None:
    """Stands in for the person in the browser: follows the authorize URL to the callback."""
    requests.get(url, allow_redirects=True, timeout=10)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSpotify]:
    """The fake server; validates all traffic against the spec when ../shared has it."""
    spec = SPOTIFY_SPEC if SPOTIFY_SPEC.exists() else None
    with FakeSpotify(spec) as server:
        monkeypatch.setenv(API_URL_ENV, server.api_url)
        monkeypatch.setenv(ACCOUNTS_URL_ENV, server.accounts_url)
        yield server
    assert server.spec_errors == [], "\n".join(server.spec_errors[:5])


@pytest.fixture
def settings() -> Settings:
    return Settings(spotify_client_id="test-client", spotify_redirect_port=free_port())


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    with Library(tmp_path / "library.sqlite") as lib:
        yield lib


@pytest.fixture
def gateway(fake: FakeSpotify, settings: Settings) -> SpotipyGateway:
    """Signed in through the real PKCE exchange; fast backoff and a 3 s rate-limit cap."""
    gw = SpotipyGateway(settings, backoff=0.01, rate_limit_cap=3.0, timeout=2.0)
    gw.login(open_browser=person, timeout=10)
    return gw
