"""Spotify Web API answers as plain data: users, playlists, playlist entries, IDs.

Pure functions over the JSON the API returns; no network, no library. The gateway
(:mod:`assistant.sources.spotify`) fetches, this module reads, the use cases
(:mod:`assistant.jobs.spotify_sync`) decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.errors import InputError
from assistant.store.library import TrackRow

_ID = re.compile(
    r"^(?:spotify:playlist:|https?://open\.spotify\.com/(?:intl-\w+/)?playlist/)?"
    r"([0-9A-Za-z]+)(?:\?.*)?$"
)
#: What an import leaves out of a playlist, by kind.
SKIP_KINDS = ("episodes", "local files", "unavailable")


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


def no_skips() -> dict[str, int]:
    return dict.fromkeys(SKIP_KINDS, 0)


def playlist_id(ref: str) -> str:
    """The playlist ID of an ID, ``spotify:playlist:`` URI or open.spotify.com link."""
    match = _ID.match(ref.strip())
    if not match:
        raise InputError(f"{ref!r} is not a Spotify playlist ID, URI or link.")
    return match.group(1)


def user(me: dict) -> SpotifyUser:
    return SpotifyUser(me["id"], me.get("display_name") or me["id"])


def playlist_info(p: dict) -> SpotifyPlaylistInfo:
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


def entry_uri(entry: dict | None) -> str:
    """The URI of a playlist entry's track or episode ("" when there is none)."""
    obj = (entry or {}).get("item") or (entry or {}).get("track")
    return str((obj or {}).get("uri") or "")


def parse_entries(entries: list[dict], skipped: dict[str, int]) -> tuple[list[str], list[TrackRow]]:
    """Track URIs and metadata rows of a playlist's entries, in order.

    Left out and counted in ``skipped``: podcast episodes, local files, and unavailable
    tracks — a null entry, or a track object without a URI that is not a local file
    (Spotify no longer offers it).
    """
    uris: list[str] = []
    rows: dict[str, TrackRow] = {}
    for entry in entries:
        obj = (entry or {}).get("item") or (entry or {}).get("track")
        if not obj:
            skipped["unavailable"] += 1
        elif obj.get("type") == "episode":
            skipped["episodes"] += 1
        elif entry.get("is_local") or obj.get("is_local"):
            skipped["local files"] += 1
        elif not str(obj.get("uri") or "").startswith("spotify:track:"):
            skipped["unavailable"] += 1
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
