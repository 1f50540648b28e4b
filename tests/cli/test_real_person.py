"""A real person's library: the demo is a demo, and the model says when it cannot help."""

from __future__ import annotations

import json
import random
import sqlite3
import string
from pathlib import Path

import pytest

from assistant import config
from assistant.cli import main
from assistant.domain import Playlist, Track
from assistant.jobs.imports import import_demo
from assistant.store.library import Library
from assistant.store.migrations import MIGRATIONS, SCHEMA_VERSION

B62 = string.digits + string.ascii_letters


def real_uri(rng: random.Random, kind: str = "track") -> str:
    return f"spotify:{kind}:" + "".join(rng.choice(B62) for _ in range(22))


def write_real_slice(path: Path, n_playlists: int = 30, seed: int = 7) -> Path:
    """An MPD-format slice with real-looking URIs (none of them in the demo model)."""
    rng = random.Random(seed)
    pool = [
        {
            "track_uri": real_uri(rng),
            "track_name": f"Real song {i}",
            "artist_uri": real_uri(rng, "artist"),
            "artist_name": f"Real artist {i % 9}",
            "album_uri": real_uri(rng, "album"),
            "album_name": f"Real album {i % 13}",
            "duration_ms": 200_000 + i,
        }
        for i in range(120)
    ]
    playlists = []
    for pid in range(n_playlists):
        picks = rng.sample(pool, 12)
        tracks = [dict(t, pos=pos) for pos, t in enumerate(picks)]
        playlists.append(
            {
                "name": f"real {pid}",
                "collaborative": "false",
                "pid": pid,
                "modified_at": 1_500_000_000,
                "num_tracks": len(tracks),
                "num_albums": len({t["album_uri"] for t in tracks}),
                "num_followers": 1,
                "tracks": tracks,
            }
        )
    path.write_text(json.dumps({"info": {"slice": "0-29"}, "playlists": playlists}))
    return path


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_demo_model_on_a_real_library_says_it_cannot_help(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = str(tmp_path / "lib.sqlite")
    assert (
        main(["import-mpd", write_real_slice(tmp_path / "s.json").as_posix(), "--library", lib])
        == 0
    )
    capsys.readouterr()
    out = run_json(["recommend", "--library", lib, "--playlist", "mpd:3", "--json"], capsys)
    assert out["recommendations"] == []
    assert out["kind"] == "none" and "knows none of the 12 tracks" in out["notice"]
    assert "Train a model on your library" in out["notice"]
    assert out["run_id"] is None  # nothing stored for a run without proposals

    # Text mode says the same sentence, exit 0.
    assert main(["recommend", "--library", lib, "--playlist", "mpd:3"]) == 0
    assert "cannot propose anything" in capsys.readouterr().out

    # An empty playlist gets the library's popular tracks, labelled as such.
    with Library(lib) as library:
        empty = library.create_local_playlist("empty")
        real = set(library.synthetic_uris()) == set()
    assert real
    out = run_json(["recommend", "--library", lib, "--playlist", str(empty), "--json"], capsys)
    assert out["kind"] == "popular" and out["notice"].startswith("Popular in your library")
    assert out["model"] == "popular in your library" and len(out["recommendations"]) == 50

    # Choosing a checkpoint of another library is accepted, with a warning of its coverage.
    assert main(["use", str(config.BUNDLED_CHECKPOINT), "--library", lib]) == 0
    err = capsys.readouterr().err
    assert "trained on another library" in err and "knows 0 of the " in err


def test_the_demo_is_its_own_source_and_never_leaks_into_real_playlists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = str(tmp_path / "lib.sqlite")
    assert main(["demo", "--library", lib]) == 0
    assert (
        main(["import-mpd", write_real_slice(tmp_path / "s.json").as_posix(), "--library", lib])
        == 0
    )
    capsys.readouterr()
    stats = run_json(["stats", "--library", lib, "--json"], capsys)
    assert stats["sources"] == {"demo": 2000, "mpd": 30}

    with Library(lib) as library:
        demo_pl = library.playlists(source="demo", limit=1)[0]
        demo_uris = library.playlist(demo_pl.id).track_uris
        real_uri_ = library.playlist(library.find_playlist("mpd:0").id).track_uris[0]
        # A real playlist that also holds two demo tracks: the model knows those.
        mixed = library.create_local_playlist("mixed", [real_uri_, *demo_uris[:2]])
        synthetic = library.synthetic_uris()
    assert set(demo_uris) <= synthetic and real_uri_ not in synthetic

    out = run_json(["recommend", "--library", lib, "--playlist", str(demo_pl.id), "--json"], capsys)
    assert out["kind"] == "model" and len(out["recommendations"]) == 50  # a demo playlist: fine
    out = run_json(["recommend", "--library", lib, "--playlist", str(mixed), "--json"], capsys)
    # The demo model knows only demo tracks: for a real playlist it has nothing to offer.
    assert out["recommendations"] == [] and out["kind"] == "none"
    assert "only invented demo tracks" in out["notice"]

    # CSV export of a playlist with synthetic tracks says so.
    assert main(["export-file", str(mixed), "--format", "csv", "--out", str(tmp_path / "m.csv"),
                 "--library", lib]) == 0  # fmt: skip
    assert "2 track(s) of this playlist are synthetic" in capsys.readouterr().out

    assert main(["remove-demo", "--library", lib]) == 0
    assert "2,000 synthetic playlists" in capsys.readouterr().out
    with Library(lib) as library:
        assert library.source_counts() == {"mpd": 30, "local": 1}
        # the demo tracks the local playlist holds stay, still synthetic
        assert library.synthetic_uris() == set(demo_uris[:2])


def test_migration_moves_existing_demo_playlists_and_marks_their_tracks(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[0](conn)  # a library as the first release wrote it
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executemany(
        "INSERT INTO tracks (uri, name) VALUES (?, ?)",
        [("spotify:track:demo1", "Canyon"), ("spotify:track:real1", "Real")],
    )
    conn.executemany(
        "INSERT INTO playlists (id, source, source_ref, name, num_tracks) VALUES (?, ?, ?, ?, 1)",
        [(1, "mpd", "9000042", "demo mix"), (2, "mpd", "42", "real mix")],
    )
    conn.executemany(
        "INSERT INTO playlist_tracks VALUES (?, 0, ?)",
        [(1, "spotify:track:demo1"), (2, "spotify:track:real1")],
    )
    conn.close()
    with Library(path) as library:
        assert library.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert library.source_counts() == {"demo": 1, "mpd": 1}
        assert library.synthetic_uris() == {"spotify:track:demo1"}
        assert library.playlist(1).track_uris == ["spotify:track:demo1"]  # nothing lost
        assert library.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        library.save_playlist(Playlist("new demo", ["spotify:track:demo1"], "demo", "9000043"))


def test_importing_the_demo_marks_its_tracks(tmp_path: Path) -> None:
    with Library(tmp_path / "lib.sqlite") as library:
        library.add_tracks([Track("spotify:track:" + "A" * 22, "Real")])
        summary = import_demo(library)
        assert summary.playlists == 2000
        assert library.source_counts() == {"demo": 2000}
        assert "spotify:track:" + "A" * 22 not in library.synthetic_uris()
        assert import_demo(library).skipped == 2  # a no-op the second time


@pytest.mark.shared_data
def test_the_real_mpd_sample_with_the_demo_model_gets_the_notice(
    mpd_sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = str(tmp_path / "lib.sqlite")
    assert main(["import-mpd", str(mpd_sample), "--library", lib]) == 0
    capsys.readouterr()
    with Library(lib) as library:
        longest = max(library.playlists(source="mpd"), key=lambda p: p.num_tracks)
    out = run_json(["recommend", "--library", lib, "--playlist", str(longest.id), "--json"], capsys)
    assert out["recommendations"] == [] and out["kind"] == "none"
    assert "knows none of the" in out["notice"]
