"""The Spotify gateway: sign-in and the Web API calls the app makes, over spotipy.

:class:`SpotipyGateway` is the HTTP side only: who is signed in, list playlists, read a
playlist's entries, create a playlist, add tracks. Every call goes through the one
bounded-retry loop, :meth:`.spotify_auth.RetryingCalls._call` (spotipy's own retries are
off: its ``Retry-After`` handling may sleep for hours): a 429 is honoured up to
``rate_limit_cap`` seconds in all, then :class:`RateLimited` says to run again later;
5xx, timeouts and dropped connections are retried with backoff a few times; a 401
refreshes the token once; ``invalid_grant`` means "sign in again". A call that is not
idempotent (create, add) is retried only after its ``recover`` hook looked whether the
first attempt landed.

Reading the answers is :mod:`.spotify_parse`; what import, export and disconnect mean for
the library is :mod:`assistant.jobs.spotify_sync`.
"""

from __future__ import annotations

import logging
import secrets
import webbrowser
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import requests
import spotipy

from assistant.config import Settings
from assistant.errors import InputError
from assistant.progress import CancelToken
from assistant.sources.spotify_auth import (
    AppPKCE,
    RetryingCalls,
    TokenCache,
    api_url,
    new_state,
    wait_for_code,
)
from assistant.sources.spotify_parse import (  # noqa: F401  (the facade's names)
    SpotifyPlaylistInfo,
    SpotifyUser,
    entry_uri,
    playlist_id,
    playlist_info,
    user,
)

# spotipy logs every HTTP error at ERROR level; without a handler Python would print them
# on stderr next to our own, clearer messages.
logging.getLogger("spotipy").addHandler(logging.NullHandler())

PAGE = 50  # the most items the API returns per page
BATCH = 100  # the most URIs one add request takes


class SpotifyGateway(Protocol):
    """What the use cases need from Spotify (tests could substitute another one)."""

    def login(
        self, *, open_browser: Callable[[str], Any] = ..., timeout: float = ...
    ) -> SpotifyUser: ...
    def signed_in(self) -> bool: ...
    def forget_token(self) -> bool: ...
    def current_user(self) -> SpotifyUser: ...
    def playlists(self, *, cancel: CancelToken | None = None) -> list[SpotifyPlaylistInfo]: ...
    def playlist_info(self, spotify_id: str) -> SpotifyPlaylistInfo: ...
    def item_pages(self, spotify_id: str, cancel: CancelToken | None = None) -> Iterator[dict]: ...
    def item_uris(self, spotify_id: str, cancel: CancelToken | None = None) -> list[str]: ...
    def create_playlist(
        self, name: str, *, public: bool, cancel: CancelToken | None = None
    ) -> str: ...
    def add_items(
        self, spotify_id: str, uris: list[str], *,
        landed: Callable[[], bool], cancel: CancelToken | None = None,
    ) -> None: ...  # fmt: skip


class SpotipyGateway(RetryingCalls):
    """The gateway over spotipy.

    Args:
        settings: gives the client ID and the loopback port.
        timeout: seconds for every single HTTP request.
        rate_limit_cap: total seconds of ``Retry-After`` one call may wait in-process.
        max_retries: retries after 5xx, timeouts and dropped connections.
        backoff: first backoff delay in seconds (doubles each retry).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        timeout: float = 10.0,
        rate_limit_cap: float = 10.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        cache: TokenCache | None = None,
    ) -> None:
        self.settings = settings
        self.rate_limit_cap = rate_limit_cap
        self.max_retries = max_retries
        self.backoff = backoff
        self.cache = cache or TokenCache()
        # spotipy refuses an empty client ID; disconnect and status must work without one,
        # and login() checks it with a message that says where to set it.
        client_id = settings.spotify_client_id.strip() or "unset"
        self.auth = AppPKCE(client_id, settings.spotify_redirect_port, self.cache, timeout=timeout)
        # A plain Session: spotipy's own would retry 429/5xx inside urllib3 and turn them
        # into a "Max Retries" error without the Retry-After header.
        self.sp = spotipy.Spotify(
            auth_manager=self.auth,
            requests_session=requests.Session(),
            requests_timeout=timeout,
            retries=0,
            status_retries=0,
        )
        self.sp.prefix = api_url()
        self.requests = 0  # API calls made, retries included (for benchmarks)
        self._user: SpotifyUser | None = None

    # -- sign-in -------------------------------------------------------------------------

    def login(
        self,
        *,
        open_browser: Callable[[str], Any] = webbrowser.open,
        timeout: float = 180.0,
        cancel: CancelToken | None = None,
    ) -> SpotifyUser:
        """Runs the PKCE sign-in in the browser; returns who signed in."""
        self.require_client_id()
        self.auth.get_pkce_handshake_parameters()
        state = new_state()
        url = self.auth.get_authorize_url(state)
        code = wait_for_code(
            url,
            self.settings.spotify_redirect_port,
            state,
            open_browser=open_browser,
            timeout=timeout,
            cancelled=(lambda: cancel.cancelled) if cancel else (lambda: False),
        )
        self.auth.get_access_token(code=code)
        self._user = None
        return self.current_user()

    def require_client_id(self) -> None:
        """Raises :class:`InputError` (saying where to get one) when no client ID is set."""
        if not self.settings.spotify_client_id.strip():
            raise InputError(
                "No Spotify client ID is set.",
                hint="Create an app in the Spotify developer dashboard with the redirect URI "
                f"http://127.0.0.1:{self.settings.spotify_redirect_port}/callback and enter its "
                "client ID in Settings (or `spotify login --client-id ID`).",
            )

    def signed_in(self) -> bool:
        return self.cache.get_cached_token() is not None

    def forget_token(self) -> bool:
        """Deletes the stored sign-in; True when there was one."""
        self._user = None
        return self.cache.delete()

    def current_user(self) -> SpotifyUser:
        if self._user is None:
            self._user = user(self._call(self.sp.me))
        return self._user

    # -- reading -------------------------------------------------------------------------

    def playlists(self, *, cancel: CancelToken | None = None) -> list[SpotifyPlaylistInfo]:
        """The person's playlists (owned and followed), following ``next`` page by page."""
        first = self._call(self.sp.current_user_playlists, limit=PAGE, cancel=cancel)
        return [playlist_info(p) for p in self._pages(first, cancel) if p]

    def playlist_info(self, spotify_id: str) -> SpotifyPlaylistInfo:
        fields = "id,name,owner(id,display_name),snapshot_id,collaborative,public,description,items(total)"
        return playlist_info(self._call(self.sp.playlist, spotify_id, fields=fields))

    def item_pages(self, spotify_id: str, cancel: CancelToken | None = None) -> Iterator[dict]:
        first = self._call(self.sp.playlist_items, spotify_id, limit=PAGE, cancel=cancel)
        yield from self._pages(first, cancel)

    def item_uris(self, spotify_id: str, cancel: CancelToken | None = None) -> list[str]:
        return [uri for uri in map(entry_uri, self.item_pages(spotify_id, cancel)) if uri]

    # -- writing -------------------------------------------------------------------------

    def create_playlist(self, name: str, *, public: bool, cancel: CancelToken | None = None) -> str:
        """Creates a playlist once, even when the answer to the create is lost.

        ``POST /me/playlists`` is not idempotent: when the connection drops after Spotify
        created the playlist, a blind retry would leave an empty duplicate. The
        description carries a one-off tag, so after a failure the person's playlists are
        searched for that tag before the create is tried again.
        """
        tag = f"[pa:{secrets.token_hex(4)}]"

        def created_with_tag() -> dict | None:
            found = [p for p in self.playlists(cancel=cancel) if tag in p.description]
            return {"id": found[0].id} if found else None

        created = self._call(
            self.sp.current_user_playlist_create,
            name,
            public=public,
            description=f"Extended with Playlist Assistant {tag}",
            idempotent=False,
            recover=created_with_tag,
            cancel=cancel,
        )
        return str(created["id"])

    def add_items(
        self,
        spotify_id: str,
        uris: list[str],
        *,
        landed: Callable[[], bool],
        cancel: CancelToken | None = None,
    ) -> None:
        """Adds at most :data:`BATCH` URIs; after a failure whose effect is unknown,
        ``landed()`` tells whether the add happened after all, so it is never doubled."""
        self._call(
            self._post_items,
            spotify_id,
            uris,
            idempotent=False,
            recover=lambda: {} if landed() else None,
            cancel=cancel,
        )

    def _post_items(self, spotify_id: str, uris: list[str]) -> dict:
        # spotipy's playlist_add_items posts a bare JSON list; the API documents
        # {"uris": [...]}, so post that.
        return self.sp._post(f"playlists/{spotify_id}/items", payload={"uris": uris})
