"""The SQLite library: schema, transactions, reads as dataclasses."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from assistant.domain import Playlist, Reason, Recommendation, Track
from assistant.errors import InputError, LibraryError, NotFound
from assistant.store import Library
from assistant.store.migrations import SCHEMA_VERSION


def _track(uri: str, artist: str = "ar1") -> tuple:
    return (
        uri,
        f"Song {uri}",
        f"spotify:artist:{artist}",
        artist.upper(),
        "spotify:album:x",
        "X",
        1000,
    )


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    library = Library(tmp_path / "lib.sqlite")
    library.import_playlists(
        kind="mpd",
        path="slice.json",
        sha256="h1",
        playlists=[
            Playlist("Road trip", ["t1", "t2", "t3"], source="mpd", source_ref="1"),
            Playlist("Chill", ["t3", "t4"], source="mpd", source_ref="2"),
        ],
        tracks=[_track(u) for u in ("t1", "t2", "t3", "t4")],
    )
    yield library
    library.close()


def test_schema_version_wal_and_foreign_keys(lib: Library) -> None:
    assert lib.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert lib.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert lib.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_import_and_reimport_is_noop(lib: Library) -> None:
    assert lib.stats()["playlists"] == 2
    again = lib.import_playlists(
        kind="mpd", path="slice.json", sha256="h1", playlists=[], tracks=[]
    )
    assert again.skipped
    assert lib.stats() == lib.stats()
    assert lib.stats()["entries"] == 5


def test_reimport_of_changed_playlist_replaces_in_place(lib: Library) -> None:
    # The same file, edited: its playlists are replaced in place (another file holding
    # pid 1 is refused instead, see tests/faults).
    before = lib.find_playlist("mpd:1")
    lib.import_playlists(
        kind="mpd",
        path="slice.json",
        sha256="h2",
        playlists=[Playlist("Road trip 2", ["t4", "t1"], source="mpd", source_ref="1")],
        tracks=[],
    )
    after = lib.find_playlist("mpd:1")
    assert after.id == before.id
    assert after.track_uris == ["t4", "t1"]
    assert after.name == "Road trip 2"


def test_failed_import_leaves_library_as_it_was(lib: Library) -> None:
    before = lib.stats()
    with pytest.raises(InputError, match=r"not in the library, e\.g\. unknown"):
        lib.import_playlists(
            kind="mpd",
            path="bad.json",
            sha256="h3",
            playlists=[Playlist("Bad", ["t1", "unknown"], source="mpd", source_ref="9")],
            tracks=[],
        )
    assert lib.stats() == before
    assert not lib.has_import("h3")


def test_import_checks_references_itself_and_restores_enforcement(lib: Library) -> None:
    # Foreign keys are off while an import writes (it checks them itself), on afterwards.
    lib.import_playlists(
        kind="mpd",
        path="s3.json",
        sha256="h4",
        playlists=[Playlist("Mixed", ["t9", "t1", "t9"], source="mpd", source_ref="3")],
        tracks=[_track("t9")],
    )
    assert lib.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert lib.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    with pytest.raises(sqlite3.IntegrityError):
        lib.conn.execute("INSERT INTO playlist_tracks VALUES (1, 99, 'nope')")
    # Inside an outer transaction the pragma cannot change; SQLite keeps enforcing too.
    with lib.atomic(), pytest.raises(InputError):
        lib.import_playlists(
            kind="mpd",
            path="s4.json",
            sha256="h5",
            playlists=[Playlist("Bad", ["zz"], source="mpd", source_ref="4")],
            tracks=[],
        )
    assert lib.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert lib.find_playlist("mpd:3").track_uris == ["t9", "t1", "t9"]


def test_bulk_writes_settings_are_restored(lib: Library) -> None:
    pragma = lambda name: lib.conn.execute(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
    before = (pragma("cache_size"), pragma("wal_autocheckpoint"))
    with lib.bulk_writes(cache_mib=32, checkpoint_mib=8):
        assert pragma("cache_size") == -32 * 1024
        assert pragma("wal_autocheckpoint") == 8 * 1024 * 1024 // 16384
        lib.create_local_playlist("During", ["t1"])
    assert (pragma("cache_size"), pragma("wal_autocheckpoint")) == before
    assert lib.find_playlist("During").track_uris == ["t1"]


@pytest.mark.parametrize("overwrite", [False, True])
def test_many_track_rows_batched_in_order(lib: Library, overwrite: bool) -> None:
    # 123 rows: two full statements of 50 and 23 single ones; "t1" is both first and
    # last (a duplicate within the file) and already known (as "Song t1").
    rows = [_track("t1", "first")] + [_track(f"b{i}") for i in range(121)]
    rows.append(_track("t1", "last"))
    lib.import_playlists(
        kind="spotify",
        path="big",
        sha256="h6",
        playlists=[Playlist("Big", [r[0] for r in rows], source="spotify", source_ref="big")],
        tracks=rows,
        overwrite_tracks=overwrite,
    )
    assert lib.stats()["tracks"] == 4 + 121
    assert lib.track("b120").name == "Song b120"
    assert lib.track("t1").artist_uri == (
        "spotify:artist:last" if overwrite else "spotify:artist:ar1"
    )
    with pytest.raises(InputError, match="7 values"):
        lib.import_playlists(
            kind="spotify", path="bad", sha256="h7", playlists=[], tracks=[("t1", "x")]
        )


def test_new_library_uses_16k_pages(lib: Library) -> None:
    assert lib.conn.execute("PRAGMA page_size").fetchone()[0] == 16384


def test_search_and_find(lib: Library) -> None:
    assert [p.name for p in lib.playlists("road")] == ["Road trip"]
    assert [p.name for p in lib.playlists("%")] == []
    assert lib.find_playlist("Chill").source_ref == "2"
    assert lib.find_playlist(str(lib.find_playlist("Chill").id)).name == "Chill"
    with pytest.raises(NotFound):
        lib.find_playlist("nope")


def test_local_playlist_edit_and_unknown_track(lib: Library) -> None:
    pid = lib.create_local_playlist("Mine", ["t1"])
    lib.set_playlist_tracks(pid, ["t2", "t1", "t4"])
    assert lib.playlist(pid).track_uris == ["t2", "t1", "t4"]
    assert lib.playlist(pid).source == "local"
    with pytest.raises(InputError):
        lib.set_playlist_tracks(pid, ["t1", "zzz"])
    assert lib.playlist(pid).track_uris == ["t2", "t1", "t4"]
    lib.save_playlist(lib.playlist(pid), tracks=[Track("t9", "New")])
    assert lib.track("t9").name == "New"


def test_recommendation_runs_round_trip(lib: Library) -> None:
    pl = lib.find_playlist("mpd:2")
    recs = [
        Recommendation(1, "t1", 0.9, 0.1, (Reason("t3", 0.6, 0.5), Reason("t4", 0.4, 0.3))),
        Recommendation(2, "t2", 0.5, 0.0, (Reason("t3", 1.0, 0.5),)),
    ]
    run_id = lib.save_recommendation_run(
        playlist_id=pl.id,
        model="gat-mlp",
        checkpoint="c.ckpt",
        seeds=pl.track_uris,
        unknown_seeds=[],
        recommendations=recs,
    )
    loaded = lib.recommendations(run_id)
    assert [r.track_uri for r in loaded] == ["t1", "t2"]
    assert loaded[0].reasons[0] == Reason("t3", 0.6, 0.5)
    assert lib.recommendation_runs(pl.id)[0].model == "gat-mlp"
    lib.delete_playlist(pl.id)
    assert lib.recommendations(run_id) == []


def test_explanations_keep_their_kind_and_v1_runs_read_as_seeds(
    lib: Library, tmp_path: Path
) -> None:
    kinds = (
        Reason("t3", 0.6, 0.5),
        Reason("spotify:artist:ar1", 0.0, 0.2, "artist"),
        Reason("spotify:album:x", 0.0, 0.1, "album"),
        Reason("road", 0.0, 0.05, "name"),
    )
    run_id = lib.save_recommendation_run(
        playlist_id=None,
        model="m",
        checkpoint="c.ckpt",
        seeds=["t3"],
        unknown_seeds=[],
        recommendations=[Recommendation(1, "t1", 0.9, 0.05, kinds)],
    )
    assert set(lib.recommendations(run_id)[0].reasons) == set(kinds)

    # A library written by the first release (schema v1): its seeds' kind is "track".
    from assistant.store.migrations import MIGRATIONS

    old = tmp_path / "v1.sqlite"
    conn = sqlite3.connect(old)
    MIGRATIONS[0](conn)
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO recommendation_runs (id, playlist_id, model, checkpoint, created_at, k) "
        "VALUES (1, NULL, 'gat-mlp', 'c.ckpt', 0, 1)"
    )
    conn.execute("INSERT INTO recommendations VALUES (1, 1, 't1', 0.9, 0.1)")
    conn.execute(
        "INSERT INTO explanations (run_id, track_uri, neighbor_uri, attention, contribution) "
        "VALUES (1, 't1', 't3', 1.0, 0.8)"
    )
    conn.commit()
    conn.close()
    with Library(old) as migrated:
        assert migrated.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        (rec,) = migrated.recommendations(1)
    assert rec.reasons == (Reason("t3", 1.0, 0.8, "seed"),)


def test_delete_source_removes_playlists_and_orphan_tracks(lib: Library) -> None:
    lib.import_playlists(
        kind="spotify",
        path="spotify:me",
        sha256="sp1",
        playlists=[Playlist("Mine on Spotify", ["t1", "s1"], source="spotify", source_ref="abc")],
        tracks=[_track("s1")],
    )
    assert lib.delete_source("spotify") == 1
    assert lib.tracks(["s1", "t1"]).keys() == {"t1"}
    assert lib.count_playlists("spotify") == 0


def test_training_runs_and_checkpoints(lib: Library) -> None:
    run = lib.start_training_run(
        model="lightgcn", config={"epochs": 2}, device="cpu", library_fingerprint="f"
    )
    lib.log_epoch(run, 1, 0.7, {"recall@20": 0.1}, 1.5)
    lib.finish_training_run(run, status="finished", checkpoint_path="a.ckpt")
    lib.register_checkpoint(
        path="a.ckpt",
        model="lightgcn",
        metrics={"r": 1},
        config={},
        graph_fingerprint="f",
        training_run_id=run,
    )
    assert lib.training_runs()[0].status == "finished"
    assert lib.training_epochs(run)[0]["recall@20"] == 0.1
    assert lib.checkpoints()[0].path == "a.ckpt"


def test_one_connection_per_thread(lib: Library) -> None:
    errors: list[BaseException] = []

    def use() -> None:
        try:
            lib.stats()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=use)
    thread.start()
    thread.join()
    assert errors and isinstance(errors[0], sqlite3.ProgrammingError)
    # The worker's way: its own Library on the same file, reading what the other wrote.
    with Library(lib.path) as other:
        assert other.stats()["playlists"] == 2


def test_not_a_database(tmp_path: Path) -> None:
    bad = tmp_path / "notes.sqlite"
    bad.write_text("hello, I am not SQLite" * 100)
    with pytest.raises(LibraryError, match="--library"):
        Library(bad)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(LibraryError, match="newer"):
        Library(path)
