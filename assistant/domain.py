"""Plain data that crosses module boundaries: tracks, playlists, recommendations."""

from __future__ import annotations

from dataclasses import dataclass, field

SOURCES = ("mpd", "spotify", "file", "local", "demo")
#: The bundled synthetic catalog: its tracks are invented (marked ``synthetic``).
DEMO_SOURCE = "demo"


@dataclass(frozen=True, slots=True)
class Track:
    """A track as the library knows it. ``uri`` is a Spotify track URI."""

    uri: str
    name: str = ""
    artist_uri: str = ""
    artist_name: str = ""
    album_uri: str = ""
    album_name: str = ""
    duration_ms: int = 0


@dataclass(frozen=True, slots=True)
class PlaylistSummary:
    """One row of the playlist browser."""

    id: int
    source: str
    source_ref: str
    name: str
    num_tracks: int


@dataclass(slots=True)
class Playlist:
    """A playlist with its ordered track URIs.

    ``id`` is the library's row id (None until stored). ``(source, source_ref)`` names it
    where it came from: the MPD pid, the Spotify playlist id, the file path, or a local id.
    """

    name: str
    track_uris: list[str] = field(default_factory=list)
    source: str = "local"
    source_ref: str = ""
    id: int | None = None
    description: str = ""
    num_followers: int = 0
    modified_at: int = 0
    collaborative: bool = False
    snapshot_id: str = ""


@dataclass(frozen=True, slots=True)
class Reason:
    """One neighbour's share of a recommendation's score.

    Attributes:
        neighbor_uri: the track (or later artist/album) of the playlist that pulled it in.
        neighbor_kind: "track" today; "artist"/"album" are the planned extension.
        attention: the attention weight the model gave this neighbour (sums to 1 over them).
        contribution: this neighbour's additive term of the score.
    """

    neighbor_uri: str
    attention: float
    contribution: float
    neighbor_kind: str = "track"


@dataclass(frozen=True, slots=True)
class Recommendation:
    """A proposed track. ``bias + sum(r.contribution for r in reasons) == score``."""

    rank: int
    track_uri: str
    score: float
    bias: float = 0.0
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True, slots=True)
class RecommendationRun:
    """A stored run of recommendations for one playlist (or a list of seeds)."""

    id: int
    playlist_id: int | None
    model: str
    checkpoint: str
    created_at: float
    k: int
