"""Which playlists of the library a model may learn from: the training-data policy.

Decided here, in the jobs layer, and handed to the models as rows (``ml`` never reads the
library). Playlists imported from Spotify are never included: Spotify's developer policy
forbids feeding its content into ML models. They are still recommended for, by fold-in
over their tracks, like any playlist the model never saw.
"""

from __future__ import annotations

from assistant.errors import InputError
from assistant.ml.graph import Interactions
from assistant.store.library import Library

#: Sources whose playlists are never trained on.
UNTRAINABLE_SOURCES = ("spotify",)
#: Playlists per MPD slice file (pid = 1000·slice + position).
MPD_SLICE_SIZE = 1000


def training_interactions(
    library: Library, source: str | None = None, *, slices: int | None = None
) -> Interactions:
    """The playlists of the library a model may learn from, with their names.

    Args:
        library: the open library.
        source: only this source's playlists ("mpd", "file", "local").
        slices: only MPD playlists of the first N slices (pid < 1000·N), as the
            reference study (50); other sources are left out then.

    Raises:
        InputError: nothing is left to learn from.
    """
    rows = library.interaction_rows(
        source,
        exclude_sources=UNTRAINABLE_SOURCES,
        max_mpd_pid=None if slices is None else MPD_SLICE_SIZE * slices,
    )
    data = Interactions.from_rows(rows)
    if data.n_edges == 0:
        what = f"in the first {slices} MPD slices" if slices is not None else "to learn from"
        raise InputError(
            f"The library has no playlists {what} (Spotify playlists are never trained on).",
            hint="Import MPD slices, CSV or M3U files first.",
        )
    names = {p.id: p.name for p in library.playlists(source=source)}
    data.names = [names.get(int(pid), "") for pid in data.playlist_ids]
    return data
