"""Which playlists of the library a model may learn from: the training-data policy.

Decided here, in the jobs layer, and handed to the models as rows (``ml`` never reads the
library). The sources are chosen by :func:`~assistant.jobs.training_sources.choose_sources`:
MPD slices, CSV/M3U files and the person's own playlists; Spotify-imported playlists only
when the person opted in (Spotify's Developer Terms restrict training on its content:
the person, who registered the client ID, decides); the synthetic demo only when asked
or when the library holds nothing else. Playlists left out are still recommended for,
by fold-in over their tracks, like any playlist the model never saw.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.domain import SOURCES
from assistant.errors import InputError
from assistant.jobs.training_sources import choose_sources
from assistant.ml.graph import Interactions
from assistant.store.library import Library

#: Playlists per MPD slice file (pid = 1000·slice + position).
MPD_SLICE_SIZE = 1000


def training_interactions(
    library: Library,
    source: str | None = None,
    *,
    slices: int | None = None,
    sources: Sequence[str] | None = None,
) -> Interactions:
    """The playlists of the library a model may learn from, with their names.

    Args:
        library: the open library.
        source: only this source's playlists ("mpd", "file", "local", ...).
        slices: only MPD playlists of the first N slices (pid < 1000·N), as the
            reference study (50); other sources are left out then.
        sources: the sources chosen (see ``choose_sources``); default: the policy's
            default choice for this library (no Spotify playlists, no demo next to
            real playlists).

    Raises:
        InputError: nothing is left to learn from (the message says what to do).
    """
    if sources is None:
        sources = choose_sources(library.source_counts(), only=source)
    left_out = [s for s in SOURCES if s not in sources]
    rows = library.interaction_rows(
        exclude_sources=left_out,
        max_mpd_pid=None if slices is None else MPD_SLICE_SIZE * slices,
    )
    data = Interactions.from_rows(rows)
    if data.n_edges == 0:
        where = f"the first {slices} MPD slices" if slices is not None else ", ".join(sources)
        raise InputError(
            f"No playlist with tracks to learn from in {where}.",
            hint="Import MPD slices, CSV or M3U files first.",
        )
    names: dict[int, str] = {}
    for chosen in sources:
        names.update((p.id, p.name) for p in library.playlists(source=chosen))
    data.names = [names.get(int(pid), "") for pid in data.playlist_ids]
    # Artists and albums of every track: the content-aware model's track–artist and
    # track–album edges, handed over as plain dicts.
    meta = library.tracks(data.track_uris)
    return data.with_content(
        {u: t.artist_uri for u, t in meta.items()}, {u: t.album_uri for u, t in meta.items()}
    )
