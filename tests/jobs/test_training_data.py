"""Which playlists of a library a model learns from (Spotify never; slices on request)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.domain import Playlist, Track
from assistant.errors import InputError
from assistant.jobs.training_data import training_interactions
from assistant.store import Library


def _save(library: Library, name: str, uris: list[str], source: str, ref: str) -> int:
    return library.save_playlist(
        Playlist(name, uris, source=source, source_ref=ref), [Track(u, u[-2:]) for u in uris]
    )


@pytest.fixture
def library(tmp_path: Path) -> Library:
    lib = Library(tmp_path / "lib.sqlite")
    _save(lib, "slice 0", ["spotify:track:a1", "spotify:track:a2"], "mpd", "7")
    _save(lib, "slice 2", ["spotify:track:a2", "spotify:track:b1"], "mpd", "2500")
    _save(lib, "mine", ["spotify:track:a1", "spotify:track:c1"], "local", "1")
    _save(lib, "from spotify", ["spotify:track:a1", "spotify:track:s1"], "spotify", "37i9")
    yield lib
    lib.close()


def test_spotify_playlists_are_never_trained_on(library: Library) -> None:
    data = training_interactions(library)
    assert data.names == ["slice 0", "slice 2", "mine"]
    assert "spotify:track:s1" not in data.track_uris  # not even as an untrained node
    assert data.n_edges == 6


def test_first_n_slices_only(library: Library) -> None:
    data = training_interactions(library, slices=1)
    assert data.names == ["slice 0"]
    assert data.track_uris == ["spotify:track:a1", "spotify:track:a2"]
    assert training_interactions(library, slices=3).names == ["slice 0", "slice 2"]


def test_nothing_to_learn_from_says_what_to_do(tmp_path: Path) -> None:
    with Library(tmp_path / "only-spotify.sqlite") as lib:
        _save(lib, "from spotify", ["spotify:track:s1"], "spotify", "37i9")
        with pytest.raises(InputError, match="never trained on") as info:
            training_interactions(lib)
    assert "Import MPD slices" in str(info.value)
