"""Recommendations for a library playlist or a list of seeds, stored in SQLite.

Qt-free; the CLI and the GUI's worker both call these. Filters that need track metadata
(a per-artist cap, blocked artists) live here, not in the model: the model ranks
tracks, the library knows who made them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from assistant.domain import Recommendation
from assistant.ml.recommend import RecommenderService, RecommendResult
from assistant.store.library import Library

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
) -> tuple[int, RecommendResult]:
    """Recommends for seed URIs, applies the filters, stores the run.

    Returns:
        (run id, result) — the result's recommendations are the stored ones.
    """
    blocked = list(blocked_artists)
    filtered = bool(max_per_artist or blocked)
    ask = k * FILTER_HEADROOM if filtered else k
    result = service.recommend(seed_uris, ask, explain=explain)
    recs = filter_by_artist(
        library,
        result.recommendations,
        k,
        max_per_artist=max_per_artist,
        blocked_artists=blocked,
        seed_uris=seed_uris,
    )
    result = RecommendResult(result.model, recs, result.unknown_seeds, result.seeds)
    run_id = library.save_recommendation_run(
        playlist_id=playlist_id,
        model=service.model_name,
        checkpoint=service.checkpoint_path,
        seeds=list(seed_uris),
        unknown_seeds=result.unknown_seeds,
        recommendations=recs,
    )
    return run_id, result


def recommend_for_playlist(
    library: Library,
    service: RecommenderService,
    playlist_id: int,
    k: int = 50,
    *,
    max_per_artist: int = 0,
    blocked_artists: Iterable[str] = (),
    explain: bool = True,
) -> tuple[int, RecommendResult]:
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
    )
