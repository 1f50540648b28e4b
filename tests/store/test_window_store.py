"""Store additions for the window: one stored run per distinct result, track search."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.domain import Recommendation, Track
from assistant.store import Library


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    library = Library(tmp_path / "lib.sqlite")
    library.add_tracks(
        [
            Track("t1", "Toxic", "a1", "Britney Spears", "al1", "In the Zone", 200_000),
            Track("t2", "Yellow", "a2", "Coldplay", "al2", "Parachutes", 260_000),
            Track("t3", "Clocks", "a2", "Coldplay", "al3", "A Rush of Blood", 300_000),
            Track("t4", "Hey Ya!", "a3", "OutKast", "al4", "Speakerboxxx", 240_000),
        ]
    )
    yield library
    library.close()


def _save(lib: Library, pid: int, uris: list[str], checkpoint: str = "c.ckpt") -> int:
    return lib.save_recommendation_run(
        playlist_id=pid,
        model="gat-mlp",
        checkpoint=checkpoint,
        seeds=["t1"],
        unknown_seeds=[],
        recommendations=[Recommendation(i + 1, u, 1.0 - i / 10) for i, u in enumerate(uris)],
    )


def test_a_repeated_run_is_stored_once(lib: Library) -> None:
    pid = lib.create_local_playlist("mine", ["t1"])
    first = _save(lib, pid, ["t2", "t3"])
    assert _save(lib, pid, ["t2", "t3"]) == first  # a refresh with nothing changed
    other = _save(lib, pid, ["t2", "t4"])  # another filter: another result
    assert other != first
    assert _save(lib, pid, ["t2", "t3"]) == first  # the filter set back
    assert _save(lib, pid, ["t2", "t3"], checkpoint="d.ckpt") not in (first, other)
    runs = lib.recommendation_runs(pid)
    assert len(runs) == 3
    assert runs[0].checkpoint == "d.ckpt" and runs[1].id == first  # newest first


def test_search_finds_words_in_title_artist_and_album(lib: Library) -> None:
    assert [t.uri for t in lib.search_tracks("toxic")] == ["t1"]
    assert {t.uri for t in lib.search_tracks("coldplay")} == {"t2", "t3"}
    assert [t.uri for t in lib.search_tracks("cold rush")] == ["t3"]  # prefixes, all words
    assert [t.uri for t in lib.search_tracks("parach")] == ["t2"]  # album
    assert lib.search_tracks("") == [] and lib.search_tracks('"-:') == []
    assert [t.uri for t in lib.search_tracks('hey "ya')] == ["t4"]  # quotes are text
    assert [t.uri for t in lib.search_tracks("ya")] == ["t4"]


def test_a_short_last_word_is_a_prefix_while_typing(lib: Library) -> None:
    lib.add_tracks([Track("t7", "Halo", "a7", "Beyoncé"), Track("t8", "Bees", "a8", "Swarm")])
    # The last word is still being typed: one or two letters match the start of words.
    assert [t.uri for t in lib.search_tracks("ye")] == ["t2"]
    assert [t.uri for t in lib.search_tracks("y")] == ["t4", "t2"]  # title order
    assert {t.uri for t in lib.search_tracks("be")} == {"t7", "t8"}
    assert [t.uri for t in lib.search_tracks("halo b")] == ["t7"]
    # A short word before the last is a whole word ("a" would match nearly anything).
    assert [t.uri for t in lib.search_tracks("a ru")] == ["t3"]
    assert lib.search_tracks("ye clocks") == []


def test_search_index_follows_every_write(lib: Library) -> None:
    lib.add_tracks([Track("t5", "Toxicity", "a5", "System of a Down")])
    assert {t.uri for t in lib.search_tracks("toxic")} == {"t1", "t5"}
    lib.add_tracks([Track("t5", "Chop Suey!", "a5", "System of a Down")], overwrite=True)
    assert [t.uri for t in lib.search_tracks("toxic")] == ["t1"]
    assert [t.uri for t in lib.search_tracks("chop")] == ["t5"]
    lib.import_playlists(
        kind="csv",
        path="x.csv",
        sha256="x",
        playlists=[],
        tracks=[("t6", "Imported Song", "a6", "New Artist", "", "", 0)],
    )
    assert [t.uri for t in lib.search_tracks("imported")] == ["t6"]
    lib.conn.execute("DELETE FROM tracks WHERE uri = 't6'")
    assert lib.search_tracks("imported") == []
    lib.rebuild_track_search()
    assert [t.uri for t in lib.search_tracks("chop system")] == ["t5"]
    assert [t.uri for t in lib.search_tracks("toxic")] == ["t1"]
    assert (
        lib.conn.execute(
            "INSERT INTO track_search (track_search) VALUES ('integrity-check')"
        ).fetchall()
        == []
    )


def test_title_matches_come_first(lib: Library) -> None:
    lib.add_tracks([Track("t7", "Blue", "a7", "Yellow Submarine Band", "al7", "Yellow", 1)])
    assert [t.uri for t in lib.search_tracks("yellow")] == ["t2", "t7"]
