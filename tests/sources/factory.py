"""Small MPD slices for tests: valid by default, easy to break one field at a time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def uid(n: int) -> str:
    """A 22-character base62 id derived from n (distinct n, distinct ids)."""
    out = []
    for _ in range(22):
        n, r = divmod(n, 62)
        out.append(BASE62[r])
    return "".join(reversed(out))


def track(n: int, pos: int) -> dict[str, Any]:
    return {
        "pos": pos,
        "artist_name": f"Artist {n % 7}",
        "track_uri": f"spotify:track:{uid(n)}",
        "artist_uri": f"spotify:artist:{uid(1_000_000 + n % 7)}",
        "track_name": f"Song {n}",
        "album_uri": f"spotify:album:{uid(2_000_000 + n % 11)}",
        "duration_ms": 180_000 + n,
        "album_name": f"Album {n % 11}",
    }


def playlist(pid: int, n_tracks: int = 5, *, first_track: int = 0) -> dict[str, Any]:
    """A playlist whose tracks are ``first_track .. first_track + n_tracks - 1``."""
    return {
        "name": f"list {pid}",
        "collaborative": "false",
        "pid": pid,
        "modified_at": 1_500_000_000,
        "num_tracks": n_tracks,
        "num_followers": 1,
        "tracks": [track(first_track + i, i) for i in range(n_tracks)],
    }


def slice_doc(first_pid: int = 0, count: int = 4, n_tracks: int = 5) -> dict[str, Any]:
    return {
        "info": {"slice": f"{first_pid}-{first_pid + count - 1}", "version": "test"},
        "playlists": [
            playlist(pid, n_tracks, first_track=pid * 3)
            for pid in range(first_pid, first_pid + count)
        ],
    }


def write(path: Path, doc: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def write_slice(folder: Path, first_pid: int = 0, count: int = 4, n_tracks: int = 5) -> Path:
    name = f"mpd.slice.{first_pid}-{first_pid + count - 1}.json"
    return write(folder / name, slice_doc(first_pid, count, n_tracks))
