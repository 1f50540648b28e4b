"""RecSys 2018 challenge sets (``challenge_set.json``): seeds given, tails to predict."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import ImportFormatError
from assistant.sources.mpd_slices import _URI_PATTERNS, _type_problem, load_json, read_bytes


@dataclass(frozen=True, slots=True)
class ChallengePlaylist:
    """One playlist of a RecSys 2018 challenge set: the seeds given, the tail to predict."""

    pid: int
    name: str
    seed_uris: list[str]
    num_holdouts: int
    num_samples: int = 0
    num_tracks: int = 0
    # Seed URI → (artist URI, album URI) as the set gives them ("" when absent or not a
    # Spotify URI): a model that does not know a seed track may know its artist or album.
    seed_content: dict[str, tuple[str, str]] = field(default_factory=dict)


# -- challenge sets --------------------------------------------------------------------


def read_challenge_set(path: str | Path) -> list[ChallengePlaylist]:
    """Reads a RecSys 2018 ``challenge_set.json`` (10,000 playlists with hidden tails).

    Each playlist has ``pid``, ``num_samples``, ``num_holdouts``, ``num_tracks``, an
    optional ``name`` and ``tracks`` (the seeds; may be empty for title-only cases).

    Raises:
        ImportFormatError: the file is not a valid challenge set.
    """
    where = str(path)
    doc = load_json(read_bytes(path), where)
    if not isinstance(doc, dict) or type(doc.get("playlists")) is not list:
        raise ImportFormatError(
            where,
            "not a challenge set: expected an object with a 'playlists' list.",
            field="playlists",
        )
    if not doc["playlists"]:
        raise ImportFormatError(where, "the challenge set has no playlists.", field="playlists")
    out: list[ChallengePlaylist] = []
    pids: set[int] = set()
    for index, p in enumerate(doc["playlists"]):
        if type(p) is not dict:
            raise ImportFormatError(where, "a playlist must be a JSON object.", index=index)
        pid = p.get("pid")
        if type(pid) is not int:
            raise ImportFormatError(
                where, _type_problem(pid, "an integer"), index=index, field="pid"
            )
        if pid in pids:
            raise ImportFormatError(
                where, "this pid appears twice.", index=index, pid=pid, field="pid"
            )
        pids.add(pid)
        for name in ("num_holdouts", "num_samples", "num_tracks"):
            if name in p and type(p[name]) is not int:
                raise ImportFormatError(
                    where, _type_problem(p[name], "an integer"), index=index, pid=pid, field=name
                )
        if "num_holdouts" not in p:
            raise ImportFormatError(
                where, "required field is missing.", index=index, pid=pid, field="num_holdouts"
            )
        tracks = p.get("tracks", [])
        if type(tracks) is not list:
            raise ImportFormatError(
                where, _type_problem(tracks, "a list"), index=index, pid=pid, field="tracks"
            )
        seeds = []
        content: dict[str, tuple[str, str]] = {}
        for i, t in enumerate(tracks):
            uri = t.get("track_uri") if type(t) is dict else None
            if type(uri) is not str or not _URI_PATTERNS["track"].fullmatch(uri):
                raise ImportFormatError(
                    where,
                    f"track #{i}: needs a 'track_uri' like spotify:track:….",
                    index=index,
                    pid=pid,
                    field="track_uri",
                )
            seeds.append(uri)
            content[uri] = (_uri_or_empty(t, "artist"), _uri_or_empty(t, "album"))
        name = p.get("name", "")
        out.append(
            ChallengePlaylist(
                pid=pid,
                name=name if isinstance(name, str) else "",
                seed_uris=seeds,
                num_holdouts=p["num_holdouts"],
                num_samples=p.get("num_samples", len(seeds)),
                num_tracks=p.get("num_tracks", len(seeds) + p["num_holdouts"]),
                seed_content=content,
            )
        )
    return out


def _uri_or_empty(track: dict, kind: str) -> str:
    """The track's ``{kind}_uri`` when it is a well-formed Spotify URI, else ""."""
    value = track.get(f"{kind}_uri")
    return value if type(value) is str and _URI_PATTERNS[kind].fullmatch(value) else ""
