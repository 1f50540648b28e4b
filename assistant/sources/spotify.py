"""The Spotify gateway: sign in, list and import playlists, export playlists back, disconnect.

A small :class:`SpotifyGateway` protocol and its spotipy implementation,
:class:`SpotipyGateway`. spotipy is built with its own retries off (its built-in
``Retry-After`` handling may sleep for hours); :class:`.spotify_auth.RetryingCalls` retries here
instead, with bounds: a 429 is honoured up to ``rate_limit_cap`` seconds in all, then
:class:`RateLimited` says to run again later; 5xx, timeouts and dropped connections are
retried with backoff a few times; a 401 refreshes the token once; ``invalid_grant`` means
"sign in again". Exports record their progress in ``spotify_links`` after every batch and
compare with the remote playlist on a re-run, so a re-run completes an export without
duplicates.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import secrets
import time
import webbrowser
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
import spotipy

from assistant.config import Settings
from assistant.domain import Playlist
from assistant.errors import (
    Cancelled,
    InputError,
    SpotifyForbidden,
    SpotifyNotFound,
    SpotifyUnavailable,
)
from assistant.progress import CancelToken, ProgressCallback, Reporter
from assistant.sources.spotify_auth import (
    AppPKCE,
    RetryingCalls,
    TokenCache,
    api_url,
    new_state,
    wait_for_code,
)
from assistant.store.library import Library, SpotifyLink, TrackRow

# spotipy logs every HTTP error at ERROR level; without a handler Python would print them
# on stderr next to our own, clearer messages.
logging.getLogger("spotipy").addHandler(logging.NullHandler())

PAGE = 50  # the most items the API returns per page
BATCH = 100  # the most URIs one add request takes
_ID = re.compile(
    r"^(?:spotify:playlist:|https?://open\.spotify\.com/(?:intl-\w+/)?playlist/)?"
    r"([0-9A-Za-z]+)(?:\?.*)?$"
)


@dataclass(frozen=True, slots=True)
class SpotifyUser:
    id: str
    display_name: str


@dataclass(frozen=True, slots=True)
class SpotifyPlaylistInfo:
    """One of the person's playlists as the list endpoint describes it."""

    id: str
    name: str
    owner_id: str
    owner_name: str
    total: int
    snapshot_id: str = ""
    collaborative: bool = False
    public: bool | None = None
    description: str = ""


@dataclass(slots=True)
class SpotifyImportSummary:
    """What one import did: each playlist lands in exactly one of the lists."""

    imported: list[tuple[str, str, int]] = field(default_factory=list)  # id, name, entries
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    forbidden: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # ids Spotify does not know
    skipped: dict[str, int] = field(
        default_factory=lambda: {"episodes": 0, "local files": 0, "unavailable": 0}
    )


@dataclass(frozen=True, slots=True)
class ExportResult:
    playlist_id: int
    spotify_playlist_id: str
    mode: str  # "create" | "append"
    added: int  # tracks added by this run
    total: int  # tracks of the local playlist that are now on Spotify
    batches: int
    resumed: bool  # an earlier run had started this export
    skipped: int  # entries that are not Spotify tracks


class SpotifyGateway(Protocol):
    """What the CLI and GUI need from Spotify (tests could substitute another one)."""

    def login(
        self, *, open_browser: Callable[[str], Any] = ..., timeout: float = ...
    ) -> SpotifyUser: ...
    def signed_in(self) -> bool: ...
    def current_user(self) -> SpotifyUser: ...
    def playlists(self, *, cancel: CancelToken | None = None) -> list[SpotifyPlaylistInfo]: ...
    def import_playlists(
        self, library: Library, ids: Sequence[str] | None = None, *,
        report: ProgressCallback | None = None, cancel: CancelToken | None = None,
    ) -> SpotifyImportSummary: ...  # fmt: skip
    def export_playlist(
        self, library: Library, playlist_id: int, *, to: str | None = None,
        name: str | None = None, public: bool = False,
        report: ProgressCallback | None = None, cancel: CancelToken | None = None,
    ) -> ExportResult: ...  # fmt: skip
    def disconnect(self, library: Library) -> int: ...


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

    def current_user(self) -> SpotifyUser:
        if self._user is None:
            me = self._call(self.sp.me)
            self._user = SpotifyUser(me["id"], me.get("display_name") or me["id"])
        return self._user

    def disconnect(self, library: Library) -> int:
        """Deletes the token and everything imported from Spotify; returns playlists deleted."""
        self.cache.delete()
        self._user = None
        deleted = library.delete_source("spotify")
        library.delete_spotify_links()
        return deleted

    # -- reading -------------------------------------------------------------------------

    def playlists(self, *, cancel: CancelToken | None = None) -> list[SpotifyPlaylistInfo]:
        """The person's playlists (owned and followed), following ``next`` page by page."""
        first = self._call(self.sp.current_user_playlists, limit=PAGE, cancel=cancel)
        return [_info(p) for p in self._pages(first, cancel) if p]

    def playlist_info(self, spotify_id: str) -> SpotifyPlaylistInfo:
        fields = "id,name,owner(id,display_name),snapshot_id,collaborative,public,description,items(total)"
        return _info(self._call(self.sp.playlist, spotify_id, fields=fields))

    def item_pages(self, spotify_id: str, cancel: CancelToken | None = None) -> Iterator[dict]:
        first = self._call(self.sp.playlist_items, spotify_id, limit=PAGE, cancel=cancel)
        yield from self._pages(first, cancel)

    def item_uris(self, spotify_id: str, cancel: CancelToken | None = None) -> list[str]:
        uris = []
        for entry in self.item_pages(spotify_id, cancel):
            obj = (entry or {}).get("item") or (entry or {}).get("track")
            if obj and obj.get("uri"):
                uris.append(obj["uri"])
        return uris

    # -- import --------------------------------------------------------------------------

    def import_playlists(
        self,
        library: Library,
        ids: Sequence[str] | None = None,
        *,
        report: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> SpotifyImportSummary:
        """Imports the chosen playlists (all when ``ids`` is None) into the library.

        A playlist whose ``snapshot_id`` matches the stored one is left alone without
        reading its items; a 403 (not the person's playlist) is reported in the summary
        and the others are still imported. Each playlist is written in its own transaction.
        """
        listed = {p.id: p for p in self.playlists(cancel=cancel)}
        wanted = [_playlist_id(i) for i in ids] if ids is not None else list(listed)
        stored = {s.source_ref: s.id for s in library.playlists(source="spotify")}
        summary = SpotifyImportSummary()
        reporter = Reporter(report, "spotify import", total=len(wanted), unit="playlists")
        for n, sid in enumerate(wanted):
            if cancel and cancel.cancelled:
                raise Cancelled(
                    f"Import stopped after {n} of {len(wanted)} playlists; those are kept. "
                    "Import again to get the rest."
                )
            try:
                info = listed.get(sid) or self.playlist_info(sid)
            except SpotifyNotFound:
                summary.missing.append(sid)
                continue
            except SpotifyForbidden:
                summary.forbidden.append((sid, sid))
                continue
            reporter.update(n, message=info.name, force=True)
            if (
                sid in stored
                and info.snapshot_id
                and library.playlist(stored[sid]).snapshot_id == info.snapshot_id
            ):
                summary.unchanged.append((sid, info.name))
                continue
            try:
                entries = list(self.item_pages(sid, cancel))
            except SpotifyForbidden:
                summary.forbidden.append((sid, info.name))
                continue
            except SpotifyNotFound:  # deleted on Spotify since it was listed
                summary.missing.append(sid)
                continue
            uris, rows = _parse_entries(entries, summary.skipped)
            digest = hashlib.sha256(json.dumps([sid, info.snapshot_id, uris]).encode()).hexdigest()
            playlist = Playlist(
                name=info.name,
                track_uris=uris,
                source="spotify",
                source_ref=sid,
                description=info.description,
                collaborative=info.collaborative,
                snapshot_id=info.snapshot_id,
            )
            library.import_playlists(
                kind="spotify",
                path=f"spotify:playlist:{sid}",
                sha256=digest,
                playlists=[playlist],
                tracks=rows,
            )
            summary.imported.append((sid, info.name, len(uris)))
        reporter.finish(len(wanted))
        return summary

    # -- export --------------------------------------------------------------------------

    def export_playlist(
        self,
        library: Library,
        playlist_id: int,
        *,
        to: str | None = None,
        name: str | None = None,
        public: bool = False,
        report: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> ExportResult:
        """Sends a library playlist to Spotify: a new playlist, or appended to one (``to``).

        Resumable and idempotent: progress is saved after every batch of 100, and a
        re-run reads the remote playlist first and adds only what is not there yet.
        """
        local = library.playlist(playlist_id)
        uris = [u for u in local.track_uris if u.startswith("spotify:track:")]
        link = library.spotify_link(playlist_id)
        remote: list[str] | None = None
        resumed = False
        if to:
            target = _playlist_id(to)
            info = self.playlist_info(target)
            me = self.current_user()
            if info.owner_id != me.id and not info.collaborative:
                raise SpotifyForbidden(
                    f"“{info.name}” belongs to {info.owner_name}; you can only add to your own "
                    "playlists.",
                    hint="Choose one of your playlists, or export to a new one.",
                )
            if link and link.mode == "append" and link.spotify_playlist_id == target:
                resumed = True
            else:
                remote = self.item_uris(target, cancel)
                link = _link(playlist_id, target, "append", base=len(remote))
                library.set_spotify_link(link)
        else:
            if link and link.mode == "create":
                try:
                    remote = self.item_uris(link.spotify_playlist_id, cancel)
                    resumed = True
                except SpotifyNotFound:
                    link = None
            if not link or link.mode != "create":
                created_id = self._create(name or local.name, public=public, cancel=cancel)
                link = _link(playlist_id, created_id, "create", base=0)
                library.set_spotify_link(link)
                remote = []  # a new playlist is empty: no need to read it
        target = link.spotify_playlist_id
        if remote is None:
            remote = self.item_uris(target, cancel)
        # Appending a playlist to the one it came from adds only its new tracks.
        before = set(remote[: link.base_count])
        uris = [u for u in uris if u not in before]
        todo = _remaining(remote, link.base_count, uris)
        reporter = Reporter(report, "spotify export", total=len(uris), unit="tracks")
        reporter.update(len(uris) - len(todo), force=True)
        added = batches = failures = 0
        while todo:
            if cancel and cancel.cancelled:
                raise Cancelled(
                    f"Export stopped after {len(uris) - len(todo)} of {len(uris)} tracks; "
                    "export again to finish it (nothing will be duplicated)."
                )
            batch = todo[:BATCH]
            try:
                self._call(self._add, target, batch, idempotent=False, cancel=cancel)
            except SpotifyUnavailable:
                # The add may or may not have landed: look before trying again.
                failures += 1
                if failures > self.max_retries:
                    raise
                self._sleep(self.backoff * 2 ** (failures - 1), cancel)
                todo = _remaining(self.item_uris(target, cancel), link.base_count, uris)
                continue
            todo = todo[BATCH:]
            added += len(batch)
            batches += 1
            link = dataclasses.replace(
                link, exported_count=len(uris) - len(todo), updated_at=time.time()
            )
            library.set_spotify_link(link)
            reporter.update(link.exported_count, force=True)
        library.set_spotify_link(
            dataclasses.replace(
                link, exported_count=len(uris), status="done", updated_at=time.time()
            )
        )
        reporter.finish(len(uris))
        return ExportResult(
            playlist_id,
            target,
            link.mode,
            added,
            len(uris),
            batches,
            resumed,
            sum(not u.startswith("spotify:track:") for u in local.track_uris),
        )

    def _create(self, name: str, *, public: bool, cancel: CancelToken | None) -> str:
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

    def _add(self, spotify_id: str, uris: list[str]) -> dict:
        # spotipy's playlist_add_items posts a bare JSON list; the API documents
        # {"uris": [...]}, so post that.
        return self.sp._post(f"playlists/{spotify_id}/items", payload={"uris": uris})


def _playlist_id(ref: str) -> str:
    match = _ID.match(ref.strip())
    if not match:
        raise InputError(f"{ref!r} is not a Spotify playlist ID, URI or link.")
    return match.group(1)


def _info(p: dict) -> SpotifyPlaylistInfo:
    owner = p.get("owner") or {}
    items = p.get("items") or p.get("tracks") or {}
    return SpotifyPlaylistInfo(
        id=p["id"],
        name=p.get("name") or "",
        owner_id=owner.get("id") or "",
        owner_name=owner.get("display_name") or owner.get("id") or "",
        total=int(items.get("total") or 0),
        snapshot_id=p.get("snapshot_id") or "",
        collaborative=bool(p.get("collaborative")),
        public=p.get("public"),
        description=p.get("description") or "",
    )


def _parse_entries(
    entries: list[dict], skipped: dict[str, int]
) -> tuple[list[str], list[TrackRow]]:
    """Track URIs and metadata rows; episodes, local files and null entries are counted."""
    uris: list[str] = []
    rows: dict[str, TrackRow] = {}
    for entry in entries:
        obj = (entry or {}).get("item") or (entry or {}).get("track")
        if not obj:
            skipped["unavailable"] += 1
        elif obj.get("type") == "episode":
            skipped["episodes"] += 1
        elif (entry.get("is_local") or obj.get("is_local")) or not str(
            obj.get("uri", "")
        ).startswith("spotify:track:"):
            skipped["local files"] += 1
        else:
            uri = obj["uri"]
            uris.append(uri)
            artist = (obj.get("artists") or [{}])[0]
            album = obj.get("album") or {}
            rows[uri] = (
                uri,
                obj.get("name") or "",
                artist.get("uri") or "",
                artist.get("name") or "",
                album.get("uri") or "",
                album.get("name") or "",
                int(obj.get("duration_ms") or 0),
            )
    return uris, list(rows.values())


def _remaining(remote: list[str], base: int, uris: list[str]) -> list[str]:
    """What still has to be added so that the remote playlist ends with ``uris``.

    ``remote[:base]`` was there before the export began. When the rest is a prefix of
    ``uris`` (the usual case: an interrupted export) the tail is left; when the remote
    playlist was edited meanwhile, only the tracks it lacks are added: never a duplicate.
    """
    done = remote[base:]
    if done == uris[: len(done)]:
        return uris[len(done) :]
    present = set(remote)
    return [u for u in uris if u not in present]


def _link(playlist_id: int, spotify_id: str, mode: str, *, base: int) -> SpotifyLink:
    return SpotifyLink(playlist_id, spotify_id, mode, base, 0, "started", time.time())
