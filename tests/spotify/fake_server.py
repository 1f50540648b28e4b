"""A real fake Spotify: an HTTP server on 127.0.0.1 (random port) for tests and benchmarks.

It implements the accounts service (``/authorize``, ``/api/token`` with PKCE verification,
refresh and ``invalid_grant``) and the Web API endpoints the app uses, with pages of at
most 50 and absolute ``next`` links, ``POST /me/playlists`` and adds of at most 100 URIs,
and 403 for playlists the user neither owns nor collaborates on. Faults are scripted per
method and path: a status (401, 403, 429 + Retry-After, 500...), a delay, or a dropped
connection (optionally after the change was applied, as when only the answer is lost).

When a spec path is given, every Web API request and response is validated against the
OpenAPI document (the spec's server is https://api.spotify.com/v1; paths are mapped onto
it); problems are collected in :attr:`FakeSpotify.spec_errors`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from tests.spotify.spec_check import SpecChecker

ME = "alice"


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int = 0  # 0: no error status (delay or drop only)
    times: int = 1
    after: int = 0  # let this many matching requests through first
    retry_after: int | None = None
    delay: float = 0.0
    drop: bool = False
    apply_first: bool = False  # with drop: perform the change, then drop the answer
    error: str = ""  # token endpoint: OAuth error code (e.g. invalid_grant)


def track_uri(i: int) -> str:
    return f"spotify:track:{i:022d}"


def track_object(key: int | str) -> dict[str, Any]:
    """A full TrackObject; ``key`` is a number (the test catalogue) or a Spotify track id."""
    tid = f"{key:022d}" if isinstance(key, int) else key
    i = int(tid) if tid.isdigit() else sum(map(ord, tid))
    artist = {
        "id": f"ar{i % 7:020d}",
        "name": f"Artist {i % 7}",
        "type": "artist",
        "uri": f"spotify:artist:ar{i % 7:020d}",
        "href": f"https://api.spotify.com/v1/artists/ar{i % 7:020d}",
        "external_urls": {"spotify": "https://open.spotify.com/artist/x"},
    }
    album = {
        "album_type": "album",
        "total_tracks": 10,
        "available_markets": ["SE"],
        "external_urls": {"spotify": "https://open.spotify.com/album/x"},
        "href": f"https://api.spotify.com/v1/albums/al{i % 13:020d}",
        "id": f"al{i % 13:020d}",
        "images": [],
        "name": f"Album {i % 13}",
        "release_date": "2020-01-01",
        "release_date_precision": "day",
        "type": "album",
        "uri": f"spotify:album:al{i % 13:020d}",
        "artists": [artist],
    }
    return {
        "album": album,
        "artists": [artist],
        "duration_ms": 180000 + i,
        "explicit": False,
        "href": f"https://api.spotify.com/v1/tracks/{tid}",
        "id": tid,
        "name": f"Track {i}",
        "type": "track",
        "uri": f"spotify:track:{tid}",
        "is_local": False,
    }


def episode_object(i: int) -> dict[str, Any]:
    return {
        "audio_preview_url": None,
        "description": "An episode",
        "html_description": "<p>An episode</p>",
        "duration_ms": 1000,
        "explicit": False,
        "external_urls": {},
        "href": f"https://api.spotify.com/v1/episodes/ep{i:020d}",
        "id": f"ep{i:020d}",
        "images": [],
        "is_externally_hosted": False,
        "is_playable": True,
        "languages": ["en"],
        "name": f"Episode {i}",
        "release_date": "2020-01-01",
        "release_date_precision": "day",
        "type": "episode",
        "uri": f"spotify:episode:ep{i:020d}",
        "show": {
            "available_markets": [],
            "copyrights": [],
            "description": "",
            "explicit": False,
            "external_urls": {},
            "href": "https://api.spotify.com/v1/shows/sh",
            "html_description": "",
            "id": "sh",
            "images": [],
            "is_externally_hosted": False,
            "languages": ["en"],
            "media_type": "audio",
            "name": "Show",
            "publisher": "Someone",
            "total_episodes": 1,
            "type": "show",
            "uri": "spotify:show:sh",
        },
    }


def unavailable_object(i: int) -> dict[str, Any]:
    """A track Spotify no longer offers: a track object without ``id``/``uri``, not local."""
    obj = track_object(700_000 + i)
    for key in ("id", "uri", "href"):
        obj.pop(key)
    return obj


def local_object(i: int) -> dict[str, Any]:
    return {
        "name": f"Local {i}",
        "type": "track",
        "uri": f"spotify:local:Artist:Album:Local+{i}:200",
        "is_local": True,
        "duration_ms": 200000,
        "artists": [],
    }


class FakeSpotify:
    """The fake service. Use as a context manager, or call :meth:`start`/:meth:`stop`."""

    def __init__(self, spec: Path | None = None, *, client_id: str = "test-client") -> None:
        self.client_id = client_id
        self.users = {ME: "Alice", "bob": "Bob"}
        self.playlists: dict[str, dict[str, Any]] = {}
        self.library_order: list[str] = []  # the playlists /me/playlists lists
        self.codes: dict[str, dict[str, str]] = {}
        self.access_tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str, int]] = []
        self.checker = SpecChecker(spec) if spec else None
        self.lock = threading.RLock()
        self._n = 0
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.fake = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.api_url = self.url + "/v1/"
        self.accounts_url = self.url + "/"
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeSpotify:
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> FakeSpotify:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def spec_errors(self) -> list[str]:
        return self.checker.errors if self.checker else []

    # -- scripting -----------------------------------------------------------------------

    def add_playlist(
        self,
        name: str,
        tracks: range | list[int] = range(0),
        *,
        owner: str = ME,
        collaborative: bool = False,
        episodes: int = 0,
        local: int = 0,
        nulls: int = 0,
        unavailable: int = 0,
        listed: bool = True,
    ) -> str:
        """Adds a playlist; returns its id. Episodes/local/null/unavailable entries come
        after the tracks."""
        with self.lock:
            self._n += 1
            pid = f"pl{self._n:020d}"
            entries: list[dict | None] = [track_object(i) for i in tracks]
            entries += [episode_object(i) for i in range(episodes)]
            entries += [local_object(i) for i in range(local)]
            entries += [None] * nulls
            entries += [unavailable_object(i) for i in range(unavailable)]
            self.playlists[pid] = {
                "name": name,
                "owner": owner,
                "collaborative": collaborative,
                "public": False,
                "description": "",
                "snapshot": secrets.token_hex(8),
                "entries": entries,
            }
            if listed:
                self.library_order.append(pid)
            return pid

    def fail(self, method: str, path: str, status: int = 0, **kw: Any) -> Fault:
        """Scripts a fault for requests whose path matches the regex ``path``."""
        fault = Fault(method.upper(), re.compile(path), status, **kw)
        with self.lock:
            self.faults.append(fault)
        return fault

    def uris(self, pid: str) -> list[str]:
        return [(e or {}).get("uri", "") for e in self.playlists[pid]["entries"]]

    def count(self, method: str, path_regex: str) -> int:
        rx = re.compile(path_regex)
        return sum(1 for m, p, _ in self.log if m == method and rx.search(p))

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access_tokens.clear()

    def revoke_refresh_tokens(self) -> None:
        with self.lock:
            self.refresh_tokens.clear()

    def issue_tokens(self, scope: str = "") -> dict[str, Any]:
        with self.lock:
            access, refresh = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
            self.access_tokens.add(access)
            self.refresh_tokens.add(refresh)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": refresh,
            "scope": scope,
        }

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == method and fault.path.search(path):
                    if fault.after > 0:
                        fault.after -= 1
                        return None
                    fault.times -= 1
                    return fault
        return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, the body waits for the
    # client's delayed ACK (40 ms per answer), which only measures the test server.
    disable_nagle_algorithm = True
    server: ThreadingHTTPServer

    def log_message(self, *args: Any) -> None:
        pass

    @property
    def fake(self) -> FakeSpotify:
        return self.server.fake  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # -- plumbing ------------------------------------------------------------------------

    def _handle(self, method: str) -> None:
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        fault = self.fake.take_fault(method, url.path)
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.drop and not fault.apply_first:
            self._drop(method, url.path)
            return
        if fault and fault.status:
            status, payload, headers = self._fault_answer(fault, url.path)
        else:
            status, payload, headers = self._route(method, url.path, query, body)
        if fault and fault.drop:  # applied, answer lost
            self._drop(method, url.path)
            return
        if self.fake.checker and url.path.startswith("/v1/"):
            self.fake.checker.check(
                method, url.path[3:], query, dict(self.headers), body, status, payload, headers
            )
        with self.fake.lock:  # logged before answering: the client may look right after
            self.fake.log.append((method, url.path, status))
        self._send(status, payload, headers)

    def _drop(self, method: str, path: str) -> None:
        with self.fake.lock:
            self.fake.log.append((method, path, 0))
        self.close_connection = True

    def _fault_answer(self, fault: Fault, path: str) -> tuple[int, Any, dict[str, str]]:
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        if path == "/api/token":
            return fault.status, {"error": fault.error or "server_error"}, headers
        return fault.status, _error(fault.status, "Injected fault"), headers

    def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if payload is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # -- routes --------------------------------------------------------------------------

    def _route(
        self, method: str, path: str, query: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        fake = self.fake
        if path == "/authorize" and method == "GET":
            return self._authorize(query)
        if path == "/api/token" and method == "POST":
            return self._token({k: v[0] for k, v in parse_qs(body.decode()).items()})
        if not path.startswith("/v1/"):
            return 404, _error(404, "Not found"), {}
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in fake.access_tokens:
            return 401, _error(401, "The access token expired"), {}
        api = path[3:].rstrip("/") or "/"
        if api == "/me" and method == "GET":
            return 200, _user(ME, fake.users[ME]), {}
        if api == "/me/playlists" and method == "GET":
            ids = fake.library_order
            return 200, self._page(ids, query, lambda pid: self._simplified(pid)), {}
        if api == "/me/playlists" and method == "POST":
            spec = json.loads(body or b"{}")
            pid = fake.add_playlist(spec["name"])
            fake.playlists[pid]["public"] = bool(spec.get("public", True))
            fake.playlists[pid]["description"] = spec.get("description", "")
            return 201, self._full(pid), {}
        match = re.fullmatch(r"/playlists/([0-9A-Za-z]+)(/items)?", api)
        if not match:
            return 404, _error(404, "Not found"), {}
        pid, items = match.group(1), match.group(2)
        if pid not in fake.playlists:
            return 404, _error(404, "Resource not found"), {}
        pl = fake.playlists[pid]
        allowed = pl["owner"] == ME or pl["collaborative"]
        if not items and method == "GET":
            return 200, self._full(pid, with_items=allowed), {}
        if not allowed:
            return 403, _error(403, "Forbidden"), {}
        if method == "GET":
            return 200, self._page(pl["entries"], query, _entry, base=f"/playlists/{pid}/items"), {}
        if method == "POST":
            try:
                uris = query["uris"].split(",") if "uris" in query else json.loads(body)["uris"]
            except (ValueError, TypeError, KeyError):
                return 400, _error(400, 'Invalid request body: expected {"uris": [...]}'), {}
            if len(uris) > 100:
                return 400, _error(400, "You can add a maximum of 100 tracks per request."), {}
            with fake.lock:
                pl["entries"].extend(track_object(u.rsplit(":", 1)[1]) for u in uris)
                pl["snapshot"] = secrets.token_hex(8)
            return 201, {"snapshot_id": pl["snapshot"]}, {}
        return 405, _error(405, "Method not allowed"), {}

    def _authorize(self, q: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if q.get("client_id") != self.fake.client_id or q.get("code_challenge_method") != "S256":
            return 400, {"error": "invalid_client"}, {}
        code = secrets.token_urlsafe(12)
        self.fake.codes[code] = {
            "challenge": q["code_challenge"],
            "redirect_uri": q["redirect_uri"],
            "scope": q.get("scope", ""),
        }
        target = q["redirect_uri"] + "?" + urlencode({"code": code, "state": q.get("state", "")})
        return 302, None, {"Location": target}

    def _token(self, form: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        fake = self.fake
        bad = {"error": "invalid_grant", "error_description": "Invalid authorization code"}
        if form.get("client_id") != fake.client_id:
            return 400, {"error": "invalid_client"}, {}
        if form.get("grant_type") == "authorization_code":
            grant = fake.codes.pop(form.get("code", ""), None)
            if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                return 400, bad, {}
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).decode().rstrip("=") != grant["challenge"]:
                return 400, {"error": "invalid_grant", "error_description": "code_verifier"}, {}
            return 200, fake.issue_tokens(grant["scope"]), {}
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in fake.refresh_tokens:
                return (
                    400,
                    {"error": "invalid_grant", "error_description": "Refresh token revoked"},
                    {},
                )
            fake.refresh_tokens.discard(form["refresh_token"])
            tokens = fake.issue_tokens(
                "playlist-read-private playlist-read-collaborative playlist-modify-public "
                "playlist-modify-private user-read-private"
            )
            return 200, tokens, {}
        return 400, {"error": "unsupported_grant_type"}, {}

    def _page(self, items: list, q: dict[str, str], render, base: str = "/me/playlists") -> dict:
        limit = min(int(q.get("limit", 20)), 50)
        offset = int(q.get("offset", 0))
        chunk = items[offset : offset + limit]
        api = self.fake.api_url.rstrip("/")

        def link(off: int) -> str:
            return f"{api}{base}?offset={off}&limit={limit}"

        return {
            "href": link(offset),
            "items": [render(x) for x in chunk],
            "limit": limit,
            "next": link(offset + limit) if offset + limit < len(items) else None,
            "offset": offset,
            "previous": link(max(0, offset - limit)) if offset > 0 else None,
            "total": len(items),
        }

    def _simplified(self, pid: str) -> dict[str, Any]:
        pl = self.fake.playlists[pid]
        ref = {"href": f"{self.fake.api_url}playlists/{pid}/items", "total": len(pl["entries"])}
        return {
            "collaborative": pl["collaborative"],
            "description": pl["description"],
            "external_urls": {"spotify": f"https://open.spotify.com/playlist/{pid}"},
            "href": f"{self.fake.api_url}playlists/{pid}",
            "id": pid,
            "images": [],
            "name": pl["name"],
            "owner": _user(pl["owner"], self.fake.users[pl["owner"]], owner=True),
            "public": pl["public"],
            "snapshot_id": pl["snapshot"],
            "items": ref,
            "type": "playlist",
            "uri": f"spotify:playlist:{pid}",
        }

    def _full(self, pid: str, *, with_items: bool = True) -> dict[str, Any]:
        out = self._simplified(pid)
        out.pop("items")
        out["followers"] = {"href": None, "total": 0}
        if with_items:
            entries = self.fake.playlists[pid]["entries"]
            out["items"] = self._page(
                entries, {"limit": "50"}, _entry, base=f"/playlists/{pid}/items"
            )
        return out


def _entry(obj: dict | None) -> dict[str, Any]:
    by = {"id": ME, "type": "user", "uri": f"spotify:user:{ME}", "href": "", "external_urls": {}}
    return {
        "added_at": "2026-01-01T00:00:00Z",
        "added_by": by,
        "is_local": bool(obj and obj.get("is_local")),
        "item": obj,
        "track": obj,
    }


def _user(uid: str, name: str, *, owner: bool = False) -> dict[str, Any]:
    out = {
        "display_name": name,
        "external_urls": {"spotify": f"https://open.spotify.com/user/{uid}"},
        "href": f"https://api.spotify.com/v1/users/{uid}",
        "id": uid,
        "type": "user",
        "uri": f"spotify:user:{uid}",
    }
    if not owner:
        out["images"] = []
    return out


def _error(status: int, message: str) -> dict[str, Any]:
    return {"error": {"status": status, "message": message}}
