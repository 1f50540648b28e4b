"""Tasks: the functions the window hands to its worker. Qt-free; each opens its own Library.

(A *job* is the core's use case in ``assistant/jobs/``, or the worker's handle on a running
task; these are the window's units of work, named ``*_task``.)

They wrap the core's jobs (``assistant.jobs.*``) for the window: take a library *path*
(sqlite3 connections are per thread), and return plain rows ready for the table models.
The recommender services are cached in :mod:`assistant.jobs.checkpoints`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.domain import Recommendation, RecommendationRun, Track
from assistant.jobs.checkpoints import load_service, validate_and_register, warm_up
from assistant.progress import CancelToken, ProgressCallback
from assistant.store.library import Library
from assistant.ui.table_models import RecommendationRow


@dataclass
class RecommendationBatch:
    """What a recommendation job returns to the window."""

    playlist_id: int | None
    version: int
    run_id: int
    model: str
    rows: list[RecommendationRow]
    runs: list[RecommendationRun] = field(default_factory=list)
    unknown_seeds: list[str] = field(default_factory=list)  # used in no way: marked
    through_content: int = 0  # seeds used through their artist or album only
    kind: str = "model"  # "model" | "popular" | "none" (see jobs.recommending.KINDS)
    notice: str = ""  # the sentence for the panel ("" when nothing needs saying)


def to_rows(library: Library, recs: Sequence[Recommendation]) -> list[RecommendationRow]:
    """Attaches the metadata of each recommended track and of its neighbours."""
    uris = [r.track_uri for r in recs] + [x.neighbor_uri for r in recs for x in r.reasons]
    known = library.tracks(uris)
    rows = []
    for rec in recs:
        track = known.get(rec.track_uri) or Track(rec.track_uri)
        neighbors = {
            x.neighbor_uri: known[x.neighbor_uri] for x in rec.reasons if x.neighbor_uri in known
        }
        rows.append(RecommendationRow(rec, track, neighbors))
    return rows


def recommend_task(
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
        # The core applies the per-artist cap and blocked artists (asking the model for
        # headroom); the model never proposes a track of the playlist itself.
        run_id, result = recommend_for_playlist(
            library,
            service,
            playlist_id,
            k,
            max_per_artist=max_per_artist,
            blocked_artists=list(blocked_artists),
        )
        rows = to_rows(library, result.recommendations)
        runs = library.recommendation_runs(playlist_id, limit=50)
    return RecommendationBatch(
        playlist_id,
        version,
        run_id or 0,
        result.model,
        rows,
        runs,
        list(result.unknown_seeds),
        result.coverage.artist_or_album if result.coverage else 0,
        kind=result.kind,
        notice=result.notice,
    )


def reopen_run_task(library_path: str | Path, run_id: int) -> list[RecommendationRow]:
    """The stored recommendations of a past run, with metadata."""
    with Library(library_path) as library:
        return to_rows(library, library.recommendations(run_id))


def search_tracks_task(library_path: str | Path, text: str, limit: int = 200) -> list[Track]:
    """Tracks matching the words of ``text`` (the library's FTS5 index)."""
    with Library(library_path) as library:
        return library.search_tracks(text, limit)


def ensure_demo_task(library_path: str | Path, *, report: ProgressCallback | None = None) -> bool:
    """Fills an empty library with the demo catalog (first start)."""
    from assistant.jobs.imports import ensure_demo_library

    with Library(library_path) as library:
        return bool(ensure_demo_library(library, report=report))


def remove_demo_task(library_path: str | Path) -> int:
    """Removes the synthetic demo catalog; returns the number of playlists removed."""
    from assistant.jobs.imports import remove_demo

    with Library(library_path) as library:
        return remove_demo(library)


def import_mpd_task(
    library_path: str | Path,
    paths: Sequence[str],
    *,
    report: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Any:
    from assistant.jobs.imports import import_mpd

    with Library(library_path) as library:
        return import_mpd(library, list(paths), report=report, cancel=cancel)


def import_csv_task(library_path: str | Path, path: str) -> Any:
    from assistant.jobs.imports import import_csv

    with Library(library_path) as library:
        return import_csv(library, path)


def export_task(library_path: str | Path, playlist_id: int, fmt: str, out_path: str) -> str:
    """Writes the file; returns the status line (which says so when tracks are synthetic)."""
    from assistant.jobs.imports import export_playlist_file, synthetic_note, synthetic_tracks

    with Library(library_path) as library:
        export_playlist_file(library, playlist_id, fmt, out_path)
        note = synthetic_note(synthetic_tracks(library, playlist_id))
    return f"Exported to {out_path}." + (f" {note}" if note else "")


def train_task(
    library_path: str | Path,
    config: Any,
    out_path: str | Path | None = None,
    *,
    report: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Any:
    """Trains on the library (``train_on_library``) in a child process.

    The pool thread only relays progress and cancel: training in a thread held the GIL
    long enough to stall the window (see :mod:`assistant.jobs.processes`).
    """
    from assistant.jobs.processes import run_in_process

    fields = config if isinstance(config, dict) else vars(config)
    out = Path(out_path) if out_path else None
    return run_in_process(
        "assistant.jobs.training:train_in_child",
        Path(library_path),
        dict(fields),
        out,
        report=report,
        cancel=cancel,
    )


def coverage_task(library_path: str | Path, checkpoint: str | Path, device: str) -> str:
    """The warning for a model that does not know every track of this library ("" if
    it does): shown when the person switches models."""
    from assistant.jobs.recommending import coverage_warning

    service = load_service(checkpoint, device)
    with Library(library_path) as library:
        return coverage_warning(library, service.track_uris)


def score_models_task(
    library_path: str | Path,
    paths: Sequence[str],
    *,
    report: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, float]:
    """Each model's NDCG on this library's held-out playlists (stored for the menu)."""
    from assistant.jobs.training import score_checkpoints

    return score_checkpoints(Path(library_path), list(paths), report=report, cancel=cancel)


def warm_up_task(checkpoint: str | Path, device: str) -> tuple[str, str]:
    """Loads the model in the background at start so the first scoring is quick.

    Returns:
        (model name, device description: "cpu" or "cuda (GPU name)").
    """
    return warm_up(checkpoint, device)


def activate_checkpoint_task(library_path: str | Path, checkpoint: str | Path) -> str:
    """Validates and registers a checkpoint the person picked (the window then switches).

    Returns:
        the resolved path.
    """
    with Library(library_path) as library:
        return str(validate_and_register(library, checkpoint).path)
