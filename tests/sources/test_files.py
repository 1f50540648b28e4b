"""CSV (Exportify columns) and M3U: tolerant import, exact export, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.domain import Track
from assistant.errors import InputError
from assistant.sources.files import (
    CSV_COLUMNS,
    read_csv,
    read_m3u,
    read_playlist_file,
    spotify_uri,
    write_csv,
    write_m3u,
)
from tests.sources.factory import uid

A, B, C = (f"spotify:track:{uid(n)}" for n in (1, 2, 3))
ARTIST1, ARTIST2 = (f"spotify:artist:{uid(n)}" for n in (10, 11))
ALBUM = f"spotify:album:{uid(20)}"

TRACKS = [
    Track(A, "Song, with comma", ARTIST1, "Tyler, The Maker", ALBUM, 'Album "Q"', 201_400),
    Track(B, "Ünïcode 歌", ARTIST2, "Bee", ALBUM, "Album", 59_600),
    Track(C),  # no metadata known
]


def test_csv_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "Road Trip.csv"
    write_csv(path, TRACKS)
    assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(CSV_COLUMNS)

    got = read_csv(path)

    assert got.playlist.name == "Road Trip"
    assert got.playlist.source == "file"
    assert got.playlist.source_ref == str(path.resolve())
    assert got.playlist.track_uris == [A, B, C]
    assert got.tracks == [
        (A, "Song, with comma", ARTIST1, "Tyler, The Maker", ALBUM, 'Album "Q"', 201_400),
        (B, "Ünïcode 歌", ARTIST2, "Bee", ALBUM, "Album", 59_600),
        (C, "", "", "", "", "", 0),
    ]


def test_exportify_file_with_other_columns_in_any_order(tmp_path: Path) -> None:
    path = tmp_path / "liked.csv"
    path.write_text(
        '\ufeff"Added At","Track Name","Track URI","Artist URI(s)","Artist Name(s)",'
        '"Album Name","Track Duration (ms)","Popularity"\n'
        f'"2020-01-01","Two Artists","{A}","{ARTIST1},{ARTIST2}","Ann,Bob","LP","1000.0","50"\n'
        "\n"
        f'"2020-01-02","Again","{A}","{ARTIST1}","Ann","LP","1000","50"\n',
        encoding="utf-8",
    )
    got = read_csv(path)
    assert got.playlist.track_uris == [A, A]  # duplicates kept, as in the playlist
    assert got.tracks == [(A, "Two Artists", ARTIST1, "Ann", "", "LP", 1000)]


@pytest.mark.parametrize("header", ["Spotify URI", "URI", "Track URI"])
def test_uri_only_files(tmp_path: Path, header: str) -> None:
    path = tmp_path / "ids.csv"
    link = f"https://open.spotify.com/track/{uid(2)}?si=abc"
    path.write_text(f"{header}\n{A}\n{link}\n{uid(3)}\n", encoding="utf-8")
    assert read_csv(path).playlist.track_uris == [A, B, C]


def test_spotify_uri_normalisation() -> None:
    assert spotify_uri(f"  {A} ") == A
    assert spotify_uri(f"https://open.spotify.com/intl-de/track/{uid(1)}") == A
    assert spotify_uri(f"https://open.spotify.com/album/{uid(1)}") is None
    assert spotify_uri("spotify:track:short") is None
    assert spotify_uri(f"https://open.spotify.com/album/{uid(20)}", "album") == ALBUM


def test_csv_without_uri_column(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text("Track Name,Artist Name(s)\nSong,Someone\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"names\.csv, row 1: no track URI column"):
        read_csv(path)


def test_csv_bad_uri_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"Track URI\n{A}\n{B}\nnot-a-uri\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.csv, row 4: 'not-a-uri' is not a Spotify track"):
        read_csv(path)


def test_csv_local_file_row(tmp_path: Path) -> None:
    path = tmp_path / "local.csv"
    path.write_text("Track URI\nspotify:local:Artist:Album:Title:200\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2: .* is a local file"):
        read_csv(path)


def test_csv_bad_duration(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(f"Track URI,Duration (ms)\n{A},three minutes\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 2: duration"):
        read_csv(path)


def test_csv_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(f"Track URI,Track Name\n{A},ok\n{B},Caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1\.csv, line 3: not UTF-8") as info:
        read_csv(path)
    assert "UTF-8" in str(info.value.hint)


def test_csv_empty_and_header_only(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        read_csv(empty)
    header = tmp_path / "header.csv"
    header.write_text("Track URI\n", encoding="utf-8")
    with pytest.raises(InputError, match="no tracks"):
        read_csv(header)
    with pytest.raises(InputError, match="no such file"):
        read_csv(tmp_path / "missing.csv")


def test_m3u_export_format(tmp_path: Path) -> None:
    path = tmp_path / "x.m3u"
    write_m3u(path, TRACKS)
    assert path.read_text(encoding="utf-8").splitlines() == [
        "#EXTM3U",
        "#EXTINF:201,Tyler, The Maker - Song, with comma",
        A,
        "#EXTINF:60,Bee - Ünïcode 歌",
        B,
        f"#EXTINF:-1,{C}",
        C,
    ]
    write_m3u(path, TRACKS[:1], links=True)
    assert path.read_text(encoding="utf-8").splitlines()[2] == (
        f"https://open.spotify.com/track/{uid(1)}"
    )


def test_m3u_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "mix.m3u8"
    write_m3u(path, TRACKS, links=True)
    got = read_playlist_file(path)
    assert got.playlist.track_uris == [A, B, C]
    assert got.tracks[1] == (B, "Ünïcode 歌", "", "Bee", "", "", 60_000)


def test_m3u_with_local_paths_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "disk.m3u"
    path.write_text("#EXTM3U\n#EXTINF:100,A - B\n/music/a.mp3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"disk\.m3u, line 3"):
        read_m3u(path)
