"""The connection to Spotify: PKCE sign-in, a token cache only the person can read, and
the bounded-retry layer every Web API call goes through.

Desktop apps cannot keep a client secret, so the app uses the PKCE flow with the person's
own client ID. Spotify accepts only loopback IP literals as redirect URIs
(``http://127.0.0.1:PORT/callback``; never ``localhost``), so a tiny one-shot HTTP server
on that port catches the browser's redirect, checks ``state`` and hands over the code.
The browser step goes through :mod:`webbrowser`, so ``BROWSER`` can stand in for a person.

Base URLs can be pointed at a test server with ``PLAYLIST_ASSISTANT_SPOTIFY_API_URL`` and
``PLAYLIST_ASSISTANT_SPOTIFY_ACCOUNTS_URL``.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import threading
import time
import webbrowser
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
from spotipy.cache_handler import CacheHandler
from spotipy.exceptions import SpotifyException, SpotifyOauthError
from spotipy.oauth2 import SpotifyPKCE

from assistant.config import config_dir
from assistant.errors import (
    AuthExpired,
    Cancelled,
    NotSignedIn,
    RateLimited,
    SpotifyError,
    SpotifyForbidden,
    SpotifyNotFound,
    SpotifyUnavailable,
)
from assistant.progress import CancelToken

API_URL_ENV = "PLAYLIST_ASSISTANT_SPOTIFY_API_URL"
ACCOUNTS_URL_ENV = "PLAYLIST_ASSISTANT_SPOTIFY_ACCOUNTS_URL"
DEFAULT_API_URL = "https://api.spotify.com/v1/"
DEFAULT_ACCOUNTS_URL = "https://accounts.spotify.com/"
TOKEN_FILE = "spotify-token.json"
# Read and write our own playlists (private and collaborative ones too), and the profile.
SCOPES = (
    "playlist-read-private playlist-read-collaborative "
    "playlist-modify-public playlist-modify-private user-read-private"
)
LOGIN_TIMEOUT_S = 180.0
_REFRESH_LOCK = threading.Lock()

# One line per point: the window wraps them to its width, a terminal to its own.
FIRST_USE_NOTICE = """\
- The app signs in with your own Spotify client ID; no password or secret is stored.
- It stores a sign-in token in {token_path} (readable only by you), the playlists you choose to import (names, track names, artists, albums) in your local library, and which library playlist you exported to which Spotify playlist.
- Everything stays on this computer; nothing is sent anywhere except to Spotify itself. Your Spotify playlists train the recommendation model only if you allow it (you are asked once, the first time a training would include them).
- Disconnecting Spotify deletes the token, everything imported from Spotify, and every model trained on it.
"""


def api_url() -> str:
    """The Web API base URL, ending in ``/`` (spotipy joins paths onto it)."""
    return os.environ.get(API_URL_ENV, DEFAULT_API_URL).rstrip("/") + "/"


def accounts_url() -> str:
    return os.environ.get(ACCOUNTS_URL_ENV, DEFAULT_ACCOUNTS_URL).rstrip("/") + "/"


def token_path() -> Path:
    return config_dir() / TOKEN_FILE


def redirect_uri(port: int) -> str:
    return f"http://127.0.0.1:{port}/callback"


def notice_text() -> str:
    return FIRST_USE_NOTICE.format(token_path=token_path())


class TokenCache(CacheHandler):
    """The token file, created with mode 0600 (never world-readable, not even briefly)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or token_path()

    def get_cached_token(self) -> dict[str, Any] | None:
        """The stored token, or None when there is none or it is not one we can use.

        A file that is JSON but lacks ``access_token`` or a numeric ``expires_at`` (hand
        edited, written by another tool, cut short) means "not signed in": spotipy would
        otherwise fail with a KeyError/TypeError in every command.
        """
        try:
            info = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not (
            isinstance(info, dict)
            and isinstance(info.get("access_token"), str)
            and isinstance(info.get("expires_at"), int | float)
            and not isinstance(info.get("expires_at"), bool)
        ):
            return None
        return info

    def save_token_to_cache(self, token_info: dict[str, Any]) -> None:
        # mkstemp creates the file with mode 0600 in open(2) itself: chmod-ing afterwards
        # would leave a window in which another user could read the token. A unique name
        # per write keeps two threads refreshing at once from clobbering each other.
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".spotify-token-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(token_info, fh)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def delete(self) -> bool:
        try:
            self.path.unlink()
            return True
        except FileNotFoundError:
            return False


class AppPKCE(SpotifyPKCE):
    """spotipy's PKCE manager that never opens a browser behind the app's back.

    spotipy falls back to an interactive sign-in when no token is cached; inside a GUI
    worker that would hang. Here a missing token raises :class:`NotSignedIn`, and an
    ``invalid_grant`` on refresh (refresh tokens expire after six months) raises
    :class:`AuthExpired`.
    """

    def __init__(
        self, client_id: str, port: int, cache: TokenCache, *, timeout: float = 10.0
    ) -> None:
        super().__init__(
            client_id=client_id,
            redirect_uri=redirect_uri(port),
            scope=SCOPES,
            cache_handler=cache,
            requests_timeout=timeout,
            open_browser=False,
        )
        base = accounts_url()
        self.OAUTH_AUTHORIZE_URL = base + "authorize"
        self.OAUTH_TOKEN_URL = base + "api/token"

    def get_access_token(self, code: str | None = None, check_cache: bool = True) -> str:
        if code is not None:
            return _oauth_call(lambda: super(AppPKCE, self).get_access_token(code, False))
        info = self.cache_handler.get_cached_token()
        if not info or "access_token" not in info:
            raise NotSignedIn()
        if self.is_token_expired(info):
            info = self.refresh(info)
        return info["access_token"]

    def refresh(self, stale: dict[str, Any] | None = None) -> dict[str, Any]:
        """Trades the refresh token for a new access token (saved to the cache).

        Spotify may rotate refresh tokens, so two jobs refreshing at once could make the
        second one fail with ``invalid_grant``. One lock serialises refreshes; a job that
        waited finds the token already renewed (different from its ``stale`` one) and
        uses it.
        """
        with _REFRESH_LOCK:
            current = self.cache_handler.get_cached_token()
            if not current or not current.get("refresh_token"):
                raise NotSignedIn()
            if (
                stale is not None
                and current.get("access_token") != stale.get("access_token")
                and not self.is_token_expired(current)
            ):
                return current
            return _oauth_call(lambda: self.refresh_access_token(current["refresh_token"]))


def _oauth_call(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except SpotifyOauthError as exc:
        if getattr(exc, "error", None) == "invalid_grant":
            raise AuthExpired() from exc
        raise SpotifyError(
            f"Spotify refused the sign-in: {getattr(exc, 'error_description', None) or exc}.",
            hint="Check the client ID in Settings and that the redirect URI "
            "http://127.0.0.1:PORT/callback is registered in the Spotify dashboard, then sign in again.",
        ) from exc
    except requests.exceptions.RequestException as exc:
        raise SpotifyUnavailable(f"Could not reach the Spotify accounts service: {exc}.") from exc


class _CallbackHandler(BaseHTTPRequestHandler):
    server: _CallbackServer

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path != "/callback":
            self.send_error(404)
            return
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.server.answer = query
        ok = "code" in query and query.get("state") == self.server.state
        body = (
            "<html><body><h2>Playlist Assistant</h2><p>"
            + ("Signed in. You can close this window." if ok else "Sign-in failed; see the app.")
            + "</p></body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.done.set()

    def log_message(self, *args: Any) -> None:  # keep stderr clean
        pass


class _CallbackServer(HTTPServer):
    def __init__(self, port: int, state: str) -> None:
        super().__init__(("127.0.0.1", port), _CallbackHandler)
        self.state = state
        self.answer: dict[str, str] | None = None
        self.done = threading.Event()


def wait_for_code(
    auth_url: str,
    port: int,
    state: str,
    *,
    open_browser: Callable[[str], Any] = webbrowser.open,
    timeout: float = LOGIN_TIMEOUT_S,
    cancelled: Callable[[], bool] = lambda: False,
) -> str:
    """Opens the browser on ``auth_url`` and waits for the one redirect to ``/callback``.

    Returns the authorization code. Raises :class:`SpotifyError` on timeout, a refusal,
    or a ``state`` that does not match (another page or app answering).
    """
    try:
        server = _CallbackServer(port, state)
    except OSError as exc:
        raise SpotifyError(
            f"Cannot listen on 127.0.0.1:{port} for the Spotify sign-in ({exc.strerror}).",
            hint="Close the program using that port, or choose another port in Settings and "
            "register http://127.0.0.1:PORT/callback for it in the Spotify dashboard.",
        ) from exc
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        # A BROWSER command may block until it exits; never let it block the wait below.
        threading.Thread(target=open_browser, args=(auth_url,), daemon=True).start()
        waited = 0.0
        while not server.done.wait(0.1):
            waited += 0.1
            if cancelled():
                raise Cancelled("Sign-in cancelled.")
            if waited >= timeout:
                raise SpotifyError(
                    f"No answer from the browser within {timeout:.0f} s.",
                    hint=no_answer_hint(port, auth_url),
                )
    finally:
        server.shutdown()
        server.server_close()
    answer = server.answer or {}
    if answer.get("state") != state:
        raise SpotifyError(
            "The sign-in answer did not match this request (state check failed).",
            hint="Sign in again, using only the browser window the app opened.",
        )
    if "error" in answer or "code" not in answer:
        raise SpotifyError(
            f"Spotify did not grant access ({answer.get('error', 'no code')}).",
            hint="Sign in again and choose Agree on Spotify's page.",
        )
    return answer["code"]


def no_answer_hint(port: int, auth_url: str) -> str:
    """What usually causes a sign-in that never comes back, and what to do."""
    return (
        "This usually means Spotify showed an error page instead of sending the browser "
        "back to the app:\n"
        "- the client ID is wrong (copy it again from your app in the Spotify developer "
        "dashboard), or\n"
        f"- the redirect URI is not registered for that app: add exactly {redirect_uri(port)} "
        "under Redirect URIs in the dashboard and save.\n"
        "Then sign in again. If no browser opened, open this address yourself:\n"
        f"{auth_url}"
    )


def new_state() -> str:
    return secrets.token_urlsafe(16)


class RetryingCalls:
    """The bounded-retry call layer, mixed into the gateway.

    Expects ``sp`` (spotipy.Spotify), ``auth`` (:class:`AppPKCE`), ``cache``,
    ``rate_limit_cap``, ``max_retries``, ``backoff`` and a ``requests`` counter. A 429 is
    honoured up to ``rate_limit_cap`` seconds in all (then :class:`RateLimited`); 5xx,
    timeouts and dropped connections are retried ``max_retries`` times with doubling
    backoff (never for a non-idempotent call, whose caller must look before retrying); a
    401 refreshes the token once. Every failure becomes a :class:`SpotifyError`.
    """

    sp: Any
    auth: AppPKCE
    cache: TokenCache
    rate_limit_cap: float
    max_retries: int
    backoff: float
    requests: int

    def _pages(self, page: dict, cancel: CancelToken | None) -> Iterator[Any]:
        while True:
            yield from page.get("items") or []
            if not page.get("next"):
                return
            page = self._call(self.sp.next, page, cancel=cancel)

    def _call(
        self,
        fn: Callable[..., Any],
        *args: Any,
        idempotent: bool = True,
        recover: Callable[[], Any] | None = None,
        cancel: CancelToken | None = None,
        **kwargs: Any,
    ) -> Any:
        """Calls spotipy with bounded retries; every failure becomes a SpotifyError.

        A call that is not idempotent is not repeated blindly after a failure whose
        effect is unknown (a 5xx, a timeout, a dropped connection): without ``recover``
        it fails at once; with it, ``recover()`` looks whether the effect landed and
        returns the call's result if so (None if not), and only then is it retried.
        """
        waited = 0.0
        failures = 0
        refreshed = False
        while True:
            if cancel:
                cancel.raise_if_cancelled()
            self.requests += 1
            used = self.cache.get_cached_token()  # to tell a stale token from a renewed one
            try:
                return fn(*args, **kwargs)
            except SpotifyException as exc:
                status = exc.http_status
                if status == 429:
                    delay = _retry_after(exc.headers)
                    if waited + delay > self.rate_limit_cap:
                        raise RateLimited(delay) from exc
                    self._sleep(delay, cancel)
                    waited += delay
                    continue
                if status == 401:
                    if refreshed:
                        raise AuthExpired() from exc
                    self.auth.refresh(used)  # invalid_grant here raises AuthExpired
                    refreshed = True
                    continue
                if status >= 500 or status == 0:
                    failure = f"Spotify kept failing (HTTP {status})."
                elif status == 403:
                    raise SpotifyForbidden(
                        f"Spotify refused access ({_reason(exc)}).",
                        hint="You can only read and change playlists you own or collaborate on.",
                    ) from exc
                elif status == 404:
                    raise SpotifyNotFound(
                        f"Spotify does not know that item ({_reason(exc)}).",
                        hint="Check the playlist ID (list them with `spotify playlists`).",
                    ) from exc
                else:
                    raise SpotifyError(
                        f"Spotify answered HTTP {status}: {_reason(exc)}.",
                        hint="Try again; if it persists, sign in again.",
                    ) from exc
            except requests.exceptions.Timeout:
                failure = "Spotify did not answer in time."
            except requests.exceptions.RequestException as exc:
                failure = f"The connection to Spotify failed ({type(exc).__name__})."
            failures += 1
            if recover is not None and (landed := recover()) is not None:
                return landed
            if (not idempotent and recover is None) or failures > self.max_retries:
                raise SpotifyUnavailable(failure)
            self._sleep(self.backoff * 2 ** (failures - 1), cancel)

    @staticmethod
    def _sleep(seconds: float, cancel: CancelToken | None) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if cancel:
                cancel.raise_if_cancelled()
            time.sleep(min(left, 0.1))


def _retry_after(headers: Any) -> float:
    try:
        return max(0.0, float((headers or {}).get("Retry-After", 1)))
    except (TypeError, ValueError):
        return 1.0


def _reason(exc: SpotifyException) -> str:
    text = str(exc.msg).split("\n")[-1].strip()
    return text or f"HTTP {exc.http_status}"
