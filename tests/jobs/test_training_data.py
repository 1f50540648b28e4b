"""Which playlists of a library a model learns from (Spotify only on opt-in; slices on
request)."""

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


def test_spotify_playlists_are_not_trained_on_by_default(library: Library) -> None:
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
        with pytest.raises(InputError, match="only if you allow it") as info:
            training_interactions(lib)
    assert "--include-spotify" in str(info.value) and "import MPD slices" in str(info.value)


def test_artists_and_albums_come_along_as_plain_arrays(tmp_path: Path) -> None:
    with Library(tmp_path / "content.sqlite") as lib:
        uris = ["spotify:track:x1", "spotify:track:x2", "spotify:track:x3"]
        tracks = [
            Track(uris[0], "One", "spotify:artist:A", "A", "spotify:album:L1", "L1"),
            Track(uris[1], "Two", "spotify:artist:A", "A", "spotify:album:L2", "L2"),
            Track(uris[2], "Three"),  # no artist or album known
        ]
        lib.save_playlist(Playlist("road trip", uris, source="local", source_ref="1"), tracks)
        data = training_interactions(lib)
    assert data.has_content
    assert data.artist_uris == ["spotify:artist:A"]
    assert data.artist_of.tolist() == [0, 0, -1]
    assert data.album_of.tolist() == [0, 1, -1]
    assert data.names == ["road trip"]


def test_spotify_playlists_when_allowed(library: Library) -> None:
    data = training_interactions(library, sources=("mpd", "local", "spotify"))
    assert data.names == ["slice 0", "slice 2", "mine", "from spotify"]
