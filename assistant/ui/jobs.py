"""The functions the window hands to the worker: Qt-free, each opens its own Library.

They wrap the core's jobs (``assistant.jobs.*``) for the window: take a library *path*
(sqlite3 connections are per thread), and return plain rows ready for the table models.
The recommender service is loaded once per (checkpoint, device) and kept: the first load
is the slow part, later queries are cheap.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.domain import Recommendation, RecommendationRun, Track
from assistant.progress import CancelToken, ProgressCallback
from assistant.store.library import Library
from assistant.ui.table_models import RecommendationRow

_services: dict[tuple[str, str], Any] = {}
_services_lock = threading.Lock()


def load_service(checkpoint: str | Path, device: str = "cpu") -> Any:
    """The cached RecommenderService of a checkpoint (loaded on first use)."""
    from assistant.ml.recommend import RecommenderService

    key = (str(Path(checkpoint).resolve()), resolve_device(device))
    with _services_lock:
        service = _services.get(key)
        if service is None:
            service = RecommenderService.load(key[0], device=device)
            _services[key] = service
        return service


def resolve_device(preference: str) -> str:
    """ "auto" means CUDA when there is a usable GPU, else the CPU."""
    if preference in ("auto", "cuda"):
        import torch

        if torch.cuda.is_available():
            return "cuda"
    return "cpu" if preference == "auto" else preference


def forget_services() -> None:
    with _services_lock:
        _services.clear()


@dataclass
class RecommendationBatch:
    """What a recommendation job returns to the window."""

    playlist_id: int | None
    version: int
    run_id: int
    model: str
    rows: list[RecommendationRow]
    runs: list[RecommendationRun] = field(default_factory=list)
    unknown_seeds: list[str] = field(default_factory=list)


def to_rows(library: Library, recs: Sequence[Recommendation]) -> list[RecommendationRow]:
    """Attaches the metadata of each recommended track and of its neighbours."""
    uris = [r.track_uri for r in recs] + [x.neighbor_uri for r in recs for x in r.reasons]
    known = library.tracks(uris)
    rows = []
    for rec in recs:
        track = known.get(rec.track_uri) or Track(rec.track_uri)
        neighbours = {
            x.neighbor_uri: known[x.neighbor_uri] for x in rec.reasons if x.neighbor_uri in known
        }
        rows.append(RecommendationRow(rec, track, neighbours))
    return rows


def filter_recommendations(
    rows: Sequence[RecommendationRow],
    *,
    exclude: Iterable[str] = (),
    max_per_artist: int = 0,
    blocked_artists: Iterable[str] = (),
    k: int | None = None,
) -> list[RecommendationRow]:
    """The panel's filters: never a track already in the playlist, at most N per artist,
    no blocked artist (matched on artist URI or name). Ranks stay the model's."""
    skip = set(exclude)
    blocked = set(blocked_artists)
    per_artist: dict[str, int] = {}
    out = []
    for row in rows:
        artist = row.track.artist_uri or row.track.artist_name
        if row.uri in skip or artist in blocked or row.track.artist_name in blocked:
            continue
        if max_per_artist and artist:
            if per_artist.get(artist, 0) >= max_per_artist:
                continue
            per_artist[artist] = per_artist.get(artist, 0) + 1
        out.append(row)
        if k is not None and len(out) >= k:
            break
    return out


def recommend_job(
    library_path: str | Path,
    checkpoint: str | Path,
    device: str,
    playlist_id: int,
    version: int,
    k: int = 50,
    *,
    max_per_artist: int = 0,
    blocked_artists: Sequence[str] = (),
    cancel: CancelToken | None = None,
) -> RecommendationBatch:
    """Scores a playlist, stores the run, and returns filtered rows with metadata."""
    from assistant.jobs.recommending import recommend_for_playlist

    service = load_service(checkpoint, device)
    if cancel is not None:
        cancel.raise_if_cancelled()
    with Library(library_path) as library:
        playlist = library.playlist(playlist_id)
        # The core applies the per-artist cap and blocked artists (asking the model for
        # headroom); the panel re-checks them and drops anything already in the playlist.
        run_id, result = recommend_for_playlist(
            library,
            service,
            playlist_id,
            k,
            max_per_artist=max_per_artist,
            blocked_artists=list(blocked_artists),
        )
        rows = filter_recommendations(
            to_rows(library, result.recommendations),
            exclude=playlist.track_uris,
            max_per_artist=max_per_artist,
            blocked_artists=blocked_artists,
            k=k,
        )
        runs = library.recommendation_runs(playlist_id, limit=50)
    return RecommendationBatch(
        playlist_id, version, run_id, result.model, rows, runs, list(result.unknown_seeds)
    )


def reopen_run_job(library_path: str | Path, run_id: int) -> list[RecommendationRow]:
    """The stored recommendations of a past run, with metadata."""
    with Library(library_path) as library:
        return to_rows(library, library.recommendations(run_id))


def search_tracks_job(library_path: str | Path, text: str, limit: int = 200) -> list[Track]:
    """Tracks matching the words of ``text`` (the library's FTS5 index)."""
    with Library(library_path) as library:
        return library.search_tracks(text, limit)


def ensure_demo_job(library_path: str | Path, *, report: ProgressCallback | None = None) -> bool:
    """Fills an empty library with the demo catalog (first start)."""
    from assistant.jobs.imports import ensure_demo_library

    with Library(library_path) as library:
        try:
            return bool(ensure_demo_library(library, report=report))
        except TypeError:  # an ensure_demo_library without a report argument
            return bool(ensure_demo_library(library))


def import_mpd_job(
    library_path: str | Path,
    paths: Sequence[str],
    *,
    report: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Any:
    from assistant.jobs.imports import import_mpd

    with Library(library_path) as library:
        return import_mpd(library, list(paths), report=report, cancel=cancel)


def import_csv_job(library_path: str | Path, path: str) -> Any:
    from assistant.jobs.imports import import_csv

    with Library(library_path) as library:
        return import_csv(library, path)


def export_job(library_path: str | Path, playlist_id: int, fmt: str, out_path: str) -> str:
    from assistant.jobs.imports import export_playlist_file

    with Library(library_path) as library:
        export_playlist_file(library, playlist_id, fmt, out_path)
    return out_path


def train_job(
    library_path: str | Path,
    config: Any,
    out_path: str | Path | None = None,
    *,
    report: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    in_process: bool = False,
) -> Any:
    """Trains on the library (``train_on_library``) in a child process.

    The pool thread only relays progress and cancel: training in a thread held the GIL
    long enough to stall the window (see :mod:`assistant.ui.process_job`).
    ``in_process=True`` runs it in the calling thread (the CLI's way; debugging).
    """
    from assistant.ui.process_job import run_in_process, train_in_child

    fields = config if isinstance(config, dict) else vars(config)
    out = Path(out_path) if out_path else None
    if in_process:
        return train_in_child(Path(library_path), dict(fields), out, report=report, cancel=cancel)
    return run_in_process(
        "assistant.ui.process_job:train_in_child",
        Path(library_path),
        dict(fields),
        out,
        report=report,
        cancel=cancel,
    )


def warm_up_job(checkpoint: str | Path, device: str) -> tuple[str, str]:
    """Loads the model in the background at start so the first scoring is quick.

    Returns:
        (model name, device description: "cpu" or "cuda (GPU name)").
    """
    service = load_service(checkpoint, device)
    used = str(getattr(service, "device", device))
    if used.startswith("cuda"):
        import torch

        used = f"{used} ({torch.cuda.get_device_name(0)})"
    return str(getattr(service, "model_name", "")), used
