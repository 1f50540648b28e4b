"""Which playlists a training learns from: the person's sources, Spotify only on opt-in.

Kept apart from :mod:`assistant.jobs.training` (which loads torch) so that the window can
show the choice and ask the Spotify question without loading the training code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.domain import DEMO_SOURCE, SOURCES
from assistant.errors import InputError

SPOTIFY_SOURCE = "spotify"

#: Said wherever a training would include Spotify playlists (window question, CLI hint).
SPOTIFY_TRAINING_NOTICE = (
    "Your Spotify playlists can be used to train the recommendation model. The model is "
    "trained and kept on this computer only; nothing is sent anywhere. Spotify's Developer "
    "Terms restrict using Spotify content to train models: you registered the client ID "
    "this app signs in with, so the decision is yours. Disconnecting Spotify deletes every "
    "model trained on Spotify playlists."
)


def choose_sources(
    counts: dict[str, int],
    *,
    include_spotify: bool = False,
    include_demo: bool = False,
    only: str | None = None,
    wanted: tuple[str, ...] | list[str] | None = None,
) -> tuple[str, ...]:
    """Which playlist sources a training uses, given the library's playlists per source.

    MPD slices, CSV/M3U files and the person's own playlists always; Spotify-imported
    playlists only when the person opted in; the synthetic demo only when asked, or
    when the library holds nothing else (a model that learned invented tracks is no use
    for a real library).

    Args:
        only: one source (the CLI's reference-study runs: "mpd").
        wanted: the sources the person ticked (the train dialog); Spotify still needs
            ``include_spotify``.

    Raises:
        InputError: nothing is left to learn from; the message says what to do (e.g.
            allow Spotify playlists).
    """
    present = {s for s, n in counts.items() if n > 0}
    if only is not None or wanted is not None:
        wanted = {only} if only is not None else set(wanted or ())
    else:
        wanted = present - {SPOTIFY_SOURCE, DEMO_SOURCE}
        if include_spotify:
            wanted.add(SPOTIFY_SOURCE)
        real = present - {DEMO_SOURCE}
        if include_demo or not real:
            wanted.add(DEMO_SOURCE)
    if SPOTIFY_SOURCE in wanted and not include_spotify:
        wanted.discard(SPOTIFY_SOURCE)
    chosen = tuple(s for s in SOURCES if s in wanted and s in present)
    if wanted and not chosen and only is None and present - {SPOTIFY_SOURCE}:
        raise InputError(
            "No source chosen to train on.",
            hint="Tick at least one source of playlists in the train dialog.",
        )
    if chosen:
        return chosen
    if SPOTIFY_SOURCE in present and not include_spotify:
        raise InputError(
            "This library's playlists come from Spotify, and a model is trained on Spotify "
            "playlists only if you allow it.",
            hint=SPOTIFY_TRAINING_NOTICE + " To allow it, train with --include-spotify (in "
            "the window: answer Yes when asked). Or import MPD slices, CSV or M3U files.",
        )
    raise InputError(
        "The library has no playlists to learn from"
        + (f" in the source {only!r}." if only else "."),
        hint="Import MPD slices, CSV or M3U files first (or the demo: `playlist-assistant demo`).",
    )


# Seconds per playlist entry per epoch for a dimension-64 model on the CPU, measured on
# this project's 2-core test machine (demo catalog, 29k entries: ~11 s an epoch); used
# until this library has a finished training of its own to go by.
DEFAULT_SECONDS_PER_ENTRY = 3.7e-4
RATE_META_KEY = "training.seconds_per_entry"


def estimate_seconds(
    entries: int, epochs: int, dim: int, *, seconds_per_entry: float | None = None
) -> float:
    """Rough time a training takes: entries × epochs × a per-entry rate scaled by size."""
    rate = seconds_per_entry or DEFAULT_SECONDS_PER_ENTRY
    return entries * epochs * rate * max(0.25, dim / 64)


SCORE_META_PREFIX = "model_score:"


def library_score(library: object, path: str | Path) -> dict[str, Any] | None:
    """A model's stored score on this library ({"ndcg", "cases", "protocol",
    "fingerprint"}), or None when it was never scored here."""
    raw = library.get_meta(SCORE_META_PREFIX + str(Path(path).resolve()))  # type: ignore[attr-defined]
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None
