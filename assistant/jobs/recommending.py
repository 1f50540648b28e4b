"""Recommendations for a library playlist or a list of seeds, stored in SQLite.

Qt-free; the CLI and the GUI's worker both call these. Filters that need track metadata
(a per-artist cap, blocked artists) live here, not in the model: the model ranks
tracks, the library knows who made them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from assistant.domain import DEMO_SOURCE, Recommendation, Track
from assistant.jobs.checkpoints import coverage_sentence
from assistant.ml.recommend import RecommenderService, RecommendResult
from assistant.store.library import Library

#: What a result holds: the model's proposals, the library's most used tracks (an empty
#: playlist), or nothing (the model knows none of the playlist's tracks).
KINDS = ("model", "popular", "none")
POPULAR_MODEL = "popular in your library"


@dataclass
class PlaylistRecommendations(RecommendResult):
    """A :class:`RecommendResult` plus what the person should be told about it.

    Attributes:
        kind: one of :data:`KINDS`.
        notice: one plain sentence for the panel header or the CLI ("" when nothing
            needs saying): why there are no proposals, how many tracks the model knows,
            or that an empty playlist gets the library's popular tracks.
        n_seeds: distinct tracks of the playlist (or seed list).
        coverage: how the model used each seed (what the recommendation did).
    """

    kind: str = "model"
    notice: str = ""
    n_seeds: int = 0
    coverage: SeedCoverage | None = None

    @property
    def n_known(self) -> int:
        """Seeds the model used, as tracks or through their artist or album."""
        return len(self.seeds)


def _tracks(n: int) -> str:
    return f"{n:,} track" + ("" if n == 1 else "s")


def cannot_help_notice(n_seeds: int) -> str:
    """The sentence shown when the model knows none of a playlist's tracks."""
    which = "the only track" if n_seeds == 1 else f"the {_tracks(n_seeds)}"
    return (
        f"The active model knows none of {which} of this playlist, so it cannot propose "
        "anything for it. Train a model on your library to get proposals."
    )


def known_notice(n_known: int, n_seeds: int, through_content: int = 0) -> str:
    """E.g. "30 of 38 tracks known to the model, 5 more through their artist or album"."""
    more = f", {through_content:,} more through their artist or album" if through_content else ""
    return f"{n_known:,} of {_tracks(n_seeds)} known to the model{more}"


POPULAR_NOTICE = "Popular in your library: this playlist is empty, so these are the tracks "
POPULAR_NOTICE += "used most in your playlists (not the model's proposals)."


def synthetic_allowed(library: Library, source: str | None, seeds: Sequence[str]) -> bool:
    """Whether invented demo tracks may be proposed: for a demo playlist (or a copy of
    one: every track synthetic), or an empty one in a library that holds only the demo."""
    if source == DEMO_SOURCE:
        return True
    if seeds:
        return library.synthetic_uris(seeds) == set(seeds)
    return set(library.source_counts()) <= {DEMO_SOURCE}


# Ask the model for this many times k when filters may drop some of its proposals.
FILTER_HEADROOM = 4


def filter_by_artist(
    library: Library,
    recommendations: Sequence[Recommendation],
    k: int,
    *,
    max_per_artist: int = 0,
    blocked_artists: Iterable[str] = (),
    seed_uris: Sequence[str] = (),
) -> list[Recommendation]:
    """Drops blocked artists and caps tracks per artist; re-ranks from 1; keeps ≤ k.

    The cap counts the playlist's own tracks too, so a playlist already full of one
    artist is not offered more of them. Artists match by name or URI, case-insensitively.
    """
    blocked = {a.strip().lower() for a in blocked_artists if a.strip()}
    if not max_per_artist and not blocked:
        return [replace(r, rank=i + 1) for i, r in enumerate(recommendations[:k])]
    meta = library.tracks([r.track_uri for r in recommendations] + list(seed_uris))
    counts: dict[str, int] = {}
    for uri in seed_uris:
        t = meta.get(uri)
        if t is not None and t.artist_uri:
            counts[t.artist_uri] = counts.get(t.artist_uri, 0) + 1
    kept: list[Recommendation] = []
    for rec in recommendations:
        t = meta.get(rec.track_uri)
        artist = t.artist_uri if t else ""
        if t is not None and (t.artist_name.lower() in blocked or t.artist_uri.lower() in blocked):
            continue
        if max_per_artist and artist:
            if counts.get(artist, 0) >= max_per_artist:
                continue
            counts[artist] = counts.get(artist, 0) + 1
        kept.append(replace(rec, rank=len(kept) + 1))
        if len(kept) == k:
            break
    return kept


def recommend_for_seeds(
    library: Library,
    service: RecommenderService,
    seed_uris: Sequence[str],
    k: int = 50,
    *,
    max_per_artist: int = 0,
    blocked_artists: Iterable[str] = (),
    playlist_id: int | None = None,
    explain: bool = True,
    source: str | None = None,
    name: str = "",
) -> tuple[int | None, PlaylistRecommendations]:
    """Recommends for seed URIs, applies the filters, stores the run.

    Synthetic (demo) tracks are proposed only where :func:`synthetic_allowed` says so.
    No seeds: the library's most used tracks, labelled as such (kind "popular"). Seeds
    but none the model can use (:meth:`RecommenderService.seed_use`: not as a track, not
    through its artist or album): no proposals and a notice (kind "none"); the model's
    popularity fallback is never passed off as a recommendation. ``name`` is the
    playlist's name: the content model reads its words (alone for an empty playlist).
    The seeds' artists and albums come from the library (read once, here).

    Returns:
        (run id or None when no run was stored, result) — the result's recommendations
        are the stored ones.
    """
    seeds = list(dict.fromkeys(seed_uris))
    allow_synthetic = synthetic_allowed(library, source, seeds)
    blocked = list(blocked_artists)
    filtered = bool(max_per_artist or blocked)
    ask = k * FILTER_HEADROOM if filtered else k
    if not seeds and not service.reads_name(name):
        popular = library.popular_tracks(ask, exclude_synthetic=not allow_synthetic)
        recs = [
            Recommendation(i + 1, uri, float(n), float(n)) for i, (uri, n) in enumerate(popular)
        ]
        recs = filter_by_artist(
            library, recs, k, max_per_artist=max_per_artist, blocked_artists=blocked
        )
        return None, PlaylistRecommendations(
            POPULAR_MODEL, recs, [], [], kind="popular", notice=POPULAR_NOTICE
        )
    content = seed_content(library.tracks(seeds))
    if seeds:
        uses = service.seed_use(seeds, content)
        if not uses.used:
            return None, PlaylistRecommendations(
                service.model_name,
                [],
                uses.unused,
                [],
                uses.classes,
                kind="none",
                notice=cannot_help_notice(len(seeds)),
                n_seeds=len(seeds),
                coverage=SeedCoverage.of(uses.classes),
            )
    exclude = () if allow_synthetic else library.synthetic_uris()
    result = service.recommend(
        seeds, ask, exclude=exclude, explain=explain, name=name, content=content
    )
    coverage = SeedCoverage.of(result.seed_classes)  # what the recommendation used
    recs = filter_by_artist(
        library,
        result.recommendations,
        k,
        max_per_artist=max_per_artist,
        blocked_artists=blocked,
        seed_uris=seeds,
    )
    kind, notice = "model", ""
    if coverage.artist_or_album or coverage.none:
        notice = known_notice(coverage.track, len(seeds), coverage.artist_or_album)
    if not recs and exclude and not result.recommendations:
        kind = "none"
        notice = (
            "The active model knows only invented demo tracks, which are never proposed "
            "for a real playlist. Train a model on your library to get proposals."
        )
    out = PlaylistRecommendations(
        result.model,
        recs,
        result.unknown_seeds,
        result.seeds,
        result.seed_classes,
        kind=kind,
        notice=notice,
        n_seeds=len(seeds),
        coverage=coverage,
    )
    run_id = library.save_recommendation_run(
        playlist_id=playlist_id,
        model=service.model_name,
        checkpoint=service.checkpoint_path,
        seeds=seeds,
        unknown_seeds=out.unknown_seeds,
        recommendations=recs,
    )
    return run_id, out


def recommend_for_playlist(
    library: Library,
    service: RecommenderService,
    playlist_id: int,
    k: int = 50,
    *,
    max_per_artist: int = 0,
    blocked_artists: Iterable[str] = (),
    explain: bool = True,
) -> tuple[int | None, PlaylistRecommendations]:
    """Recommends continuations of a library playlist and stores the run.

    Raises:
        NotFound: no playlist with that id.
    """
    playlist = library.playlist(playlist_id)
    return recommend_for_seeds(
        library,
        service,
        playlist.track_uris,
        k,
        max_per_artist=max_per_artist,
        blocked_artists=blocked_artists,
        playlist_id=playlist_id,
        explain=explain,
        source=playlist.source,
        name=playlist.name,
    )


def library_coverage(library: Library, track_uris: Sequence[str]) -> tuple[int, int]:
    """(how many of the library's tracks a model knows, how many tracks the library has).

    Synthetic demo tracks are left out of both counts when the library holds real
    playlists: they say nothing about whether the model knows the person's music.
    """
    vocabulary = set(track_uris)
    real_only = not synthetic_allowed(library, None, [])
    synthetic = library.synthetic_uris() if real_only else set()
    total = known = 0
    for track in library.iter_all_tracks():
        if track.uri in synthetic:
            continue
        total += 1
        known += track.uri in vocabulary
    return known, total


def coverage_warning(library: Library, track_uris: Sequence[str]) -> str:
    """A warning when a checkpoint does not know every track of this library ("" if it
    does): it was trained on another library, or before the last imports."""
    known, total = library_coverage(library, track_uris)
    if total == 0 or known == total:
        return ""
    return coverage_sentence(known, total, foreign=False)


@dataclass(frozen=True, slots=True)
class SeedCoverage:
    """How the model could use each (distinct) seed of a query.

    Attributes:
        track: seeds whose track the model knows.
        artist_or_album: seeds it does not know as tracks but through their artist or album.
        none: seeds it cannot use in any way; ``unused`` lists them.
    """

    track: int
    artist_or_album: int
    none: int
    unused: list[str]

    @classmethod
    def of(cls, classes: Mapping[str, str]) -> SeedCoverage:
        """Counts per class (:data:`~assistant.ml.recommend.SEED_CLASSES`) of each seed."""
        counts = Counter(classes.values())
        unused = [u for u, c in classes.items() if c == "none"]
        return cls(counts["track"], counts["artist_or_album"], counts["none"], unused)

    def as_dict(self) -> dict[str, int]:
        return {"track": self.track, "artist_or_album": self.artist_or_album, "none": self.none}

    def sentence(self) -> str:
        """One line for people: "Seeds: 30 known to the model, 5 through their artist or
        album only, 3 not used."."""
        parts = [f"{self.track} known to the model"]
        if self.artist_or_album:
            parts.append(f"{self.artist_or_album} through their artist or album only")
        if self.none:
            parts.append(f"{self.none} not used (unknown track, artist and album)")
        total = self.track + self.artist_or_album + self.none
        return f"Seeds: {total} ({', '.join(parts)})."


def seed_content(tracks: Mapping[str, Track]) -> dict[str, tuple[str, str]]:
    """Seed URI → (artist URI, album URI) from the library's metadata of the seeds: how
    the content model reads a seed outside its track vocabulary."""
    return {u: (t.artist_uri, t.album_uri) for u, t in tracks.items()}


def seed_coverage(
    service: RecommenderService, seed_uris: Sequence[str], tracks: Mapping[str, Track]
) -> SeedCoverage:
    """Classifies each distinct seed by how the model uses it: what
    :meth:`RecommenderService.seed_use` decides, the same call :meth:`recommend` makes
    ("track", "artist_or_album" or "none"; see there).

    Args:
        tracks: library metadata of the seeds (for their artist and album URIs).
    """
    return SeedCoverage.of(service.seed_use(seed_uris, seed_content(tracks)).classes)
