"""The spec check is real: traffic that breaks the OpenAPI document is reported."""

from __future__ import annotations

from pathlib import Path

import requests

from tests.spotify.fake_server import FakeSpotify


def test_spec_violations_are_reported(spotify_spec: Path) -> None:
    with FakeSpotify(spotify_spec) as fake:
        token = fake.issue_tokens()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        ok = requests.get(fake.api_url + "me/playlists?limit=50", headers=auth, timeout=5)
        assert ok.status_code == 200 and fake.spec_errors == []
        requests.get(fake.api_url + "me/playlists?limit=500", headers=auth, timeout=5)
        pid = fake.add_playlist("Mine", range(3))
        # spotipy's playlist_add_items posts a bare JSON list: the spec wants {"uris": [...]}.
        requests.post(fake.api_url + f"playlists/{pid}/items", json=[], headers=auth, timeout=5)
        errors = fake.spec_errors
        assert any("limit" in e for e in errors)
        assert any(e.startswith(f"POST /v1/playlists/{pid}/items: request") for e in errors)
        assert fake.checker is not None and fake.checker.checked == 3
