"""Sign-in: the whole PKCE exchange, the token file, refresh, invalid_grant, disconnect."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from assistant.config import Settings
from assistant.domain import Playlist, Track
from assistant.errors import AuthExpired, InputError, NotSignedIn, SpotifyError
from assistant.jobs import spotify_sync as sync
from assistant.sources.spotify import SpotipyGateway
from assistant.sources.spotify_auth import token_path
from assistant.store import Library
from tests.spotify.conftest import person
from tests.spotify.fake_server import FakeSpotify


def test_pkce_exchange_signs_in_and_caches_token_0600(
    fake: FakeSpotify, settings: Settings
) -> None:
    gw = SpotipyGateway(settings, backoff=0.01)
    assert not gw.signed_in()
    opened: list[str] = []

    def browser(url: str) -> None:
        opened.append(url)
        person(url)

    user = gw.login(open_browser=browser, timeout=10)
    assert user.id == "alice" and user.display_name == "Alice"
    # The browser went to the authorize endpoint with an S256 challenge and our redirect.
    assert opened[0].startswith(fake.accounts_url + "authorize?")
    assert "code_challenge_method=S256" in opened[0]
    assert f"127.0.0.1%3A{settings.spotify_redirect_port}%2Fcallback" in opened[0]
    # The server verified code_verifier against the challenge and issued a token.
    assert fake.count("POST", "^/api/token$") == 1 and len(fake.access_tokens) == 1
    path = token_path()
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # A fresh gateway (a new app start) uses the cached token without a browser.
    assert SpotipyGateway(settings).current_user().id == "alice"


def test_wrong_state_is_refused(fake: FakeSpotify, settings: Settings) -> None:
    gw = SpotipyGateway(settings)

    def forged(url: str) -> None:  # a page answering with someone else's state
        requests.get(
            f"http://127.0.0.1:{settings.spotify_redirect_port}/callback?code=x&state=forged",
            timeout=5,
        )

    with pytest.raises(SpotifyError, match="state check failed"):
        gw.login(open_browser=forged, timeout=10)
    assert not gw.signed_in()


def test_browser_that_never_answers_times_out(fake: FakeSpotify, settings: Settings) -> None:
    with pytest.raises(SpotifyError, match="No answer from the browser"):
        SpotipyGateway(settings).login(open_browser=lambda url: None, timeout=0.3)


def test_login_needs_a_client_id(fake: FakeSpotify) -> None:
    with pytest.raises(InputError, match="client ID"):
        SpotipyGateway(Settings()).login(open_browser=person, timeout=1)


def test_not_signed_in_says_what_to_do(fake: FakeSpotify, settings: Settings) -> None:
    with pytest.raises(NotSignedIn, match="spotify login"):
        SpotipyGateway(settings).current_user()


def test_expired_access_token_is_refreshed_once(fake: FakeSpotify, gateway: SpotipyGateway) -> None:
    fake.expire_access_tokens()  # the API now answers 401 to the cached token
    gateway._user = None
    assert gateway.current_user().id == "alice"
    assert fake.count("POST", "^/api/token$") == 2  # the code exchange, then one refresh


def test_concurrent_refreshes_do_not_lose_the_login(
    fake: FakeSpotify, gateway: SpotipyGateway, settings: Settings
) -> None:
    """The fake rotates refresh tokens: two jobs refreshing at once must share one refresh."""
    fake.expire_access_tokens()
    gateways = [SpotipyGateway(settings, backoff=0.01) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        users = list(pool.map(lambda gw: gw.current_user().id, gateways))
    assert users == ["alice"] * 4
    assert fake.count("POST", "^/api/token$") == 2  # the code exchange + exactly one refresh


def test_invalid_grant_asks_to_sign_in_again(fake: FakeSpotify, gateway: SpotipyGateway) -> None:
    fake.expire_access_tokens()
    fake.revoke_refresh_tokens()  # six months later: the refresh token is no longer valid
    gateway._user = None
    with pytest.raises(AuthExpired) as info:
        gateway.current_user()
    assert "Sign in again" in str(info.value)


def test_disconnect_deletes_token_and_spotify_data(
    fake: FakeSpotify, gateway: SpotipyGateway, library: Library
) -> None:
    fake.add_playlist("Mine", range(30))
    sync.import_playlists(gateway, library)
    local = library.save_playlist(
        Playlist("Local", ["spotify:track:x1"], source="local"), [Track("spotify:track:x1")]
    )
    sync.export_playlist(gateway, library, local, name="Out")
    assert library.playlists(source="spotify") and library.spotify_link(local)
    assert sync.disconnect(gateway, library, Settings()).playlists == 1
    assert not token_path().exists() and not gateway.signed_in()
    assert library.playlists(source="spotify") == []
    assert library.spotify_link(local) is None
    assert [p.name for p in library.playlists()] == ["Local"]  # the person's own data stays
    assert library.tracks([f"spotify:track:{0:022d}"]) == {}  # Spotify-only tracks are gone
    with pytest.raises(NotSignedIn):
        gateway.current_user()
