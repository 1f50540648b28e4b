"""Plain data that crosses module boundaries: tracks, playlists, recommendations."""

from __future__ import annotations

from dataclasses import dataclass, field

SOURCES = ("mpd", "spotify", "file", "local", "demo")
#: The bundled synthetic catalog: its tracks are invented (marked ``synthetic``).
DEMO_SOURCE = "demo"
#: Playlists made in this app (or copies of imported ones): the person's to edit.
LOCAL_SOURCE = "local"


@dataclass(frozen=True, slots=True)
class Ownership:
    """What a playlist of one source is to the person.

    Attributes:
        editable: edited in place. Every other playlist is kept as it was imported (a
            re-import must find it unchanged); editing it makes a local copy.
        personal: the person's own music (made here, from their Spotify, from their
            files), as opposed to a dataset or the demo; shown first, unfolded.
    """

    editable: bool
    personal: bool


_OWNERSHIP = {
    LOCAL_SOURCE: Ownership(editable=True, personal=True),
    "spotify": Ownership(editable=False, personal=True),
    "file": Ownership(editable=False, personal=True),
    "mpd": Ownership(editable=False, personal=False),
    DEMO_SOURCE: Ownership(editable=False, personal=False),
}


def ownership(source: str) -> Ownership:
    """The one place that decides which playlists are the person's to edit (an unknown
    source: neither editable nor personal)."""
    return _OWNERSHIP.get(source, Ownership(editable=False, personal=False))


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
    source: str = LOCAL_SOURCE
    source_ref: str = ""
    id: int | None = None
    description: str = ""
    num_followers: int = 0
    modified_at: int = 0
    collaborative: bool = False
    snapshot_id: str = ""


# What a term of a recommendation's score is about: a seed track of the playlist, an artist
# or album the candidate shares with the playlist, or a word of the playlist's name.
REASON_KINDS = ("seed", "artist", "album", "name")


@dataclass(frozen=True, slots=True)
class Reason:
    """One term of a recommendation's score.

    Attributes:
        neighbor_uri: what the term is about: the seed track's URI (kind "seed"), the
            artist's or album's URI ("artist", "album"), or the name token ("name").
        attention: the attention weight the model gave it (over the seeds, per candidate;
            0 for a term without attention).
        contribution: its additive term of the score.
        kind: one of :data:`REASON_KINDS`.
    """

    neighbor_uri: str
    attention: float
    contribution: float
    kind: str = "seed"


@dataclass(frozen=True, slots=True)
class Recommendation:
    """A proposed track. ``bias + sum(r.contribution for r in reasons) == score``, reasons
    of every kind included."""

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
