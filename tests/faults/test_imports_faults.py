"""Items 1-4 of the fault sweep: imports never replace silently, never disagree, never race."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

import pytest

from assistant.store import Library
from tests.faults.conftest import cli_process, integrity, run_cli
from tests.sources.factory import playlist, uid, write, write_slice


def _imports_agree(path: Path) -> None:
    """Every imports row counts exactly the playlists (and entries) that point at it."""
    with Library(path) as library:
        for row in library.imports():
            n, e = library.conn.execute(
                "SELECT count(*), coalesce(sum(num_tracks), 0) FROM playlists WHERE import_id = ?",
                (row["id"],),
            ).fetchone()
            assert (row["num_playlists"], row["num_entries"]) == (n, e), row


def test_1_a_pid_from_another_file_is_refused_and_named(
    tmp_path: Path, lib: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = write(
        tmp_path / "a" / "mpd.slice.a.json",
        {"playlists": [playlist(pid, 3, first_track=pid) for pid in range(200, 250)]},
    )
    b = write(
        tmp_path / "b" / "mpd.slice.b.json",
        {"playlists": [playlist(pid, 4, first_track=pid + 7) for pid in range(240, 290)]},
    )
    assert run_cli(capsys, "import-mpd", a, "--library", lib)[0] == 0
    with Library(lib) as library:
        before = library.playlist(library.find_playlist("mpd:245").id)
    code, out, err = run_cli(capsys, "import-mpd", b, "--library", lib)
    assert code == 1
    assert "10 playlist(s) are already in the library from another file" in err
    assert "pid(s) 240, 241, 242" in err and str(a.resolve()) in err
    with Library(lib) as library:
        assert library.count_playlists() == 50  # nothing of B
        assert library.playlist(before.id) == before
        assert len(library.imports()) == 1
    _imports_agree(lib)
    # A is still "already imported", and it is true.
    code, out, _ = run_cli(capsys, "import-mpd", a, "--library", lib)
    assert code == 0 and "Skipped 1 file(s)" in out
    with Library(lib) as library:  # deleting one keeps the counts true too
        library.delete_playlist(before.id)
    _imports_agree(lib)


def test_2_a_foreign_sqlite_file_is_refused_byte_identical(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = {
        "foo.db": ["CREATE TABLE foo (x)"],
        "tracks.db": ["CREATE TABLE tracks (uri TEXT)", "INSERT INTO tracks VALUES ('a')"],
        "newer.db": ["CREATE TABLE foo (x)", "PRAGMA user_version = 7"],
        "other-app.db": ["CREATE TABLE meta (k)", "PRAGMA application_id = 1234"],
    }
    for name, statements in cases.items():
        path = tmp_path / name
        conn = sqlite3.connect(path)
        for sql in statements:
            conn.execute(sql)
        conn.commit()
        conn.close()
        before = path.read_bytes()
        for command in ("stats", "playlists", "import-file", "demo"):
            argv = [command, "--library", path]
            if command == "import-file":
                argv.insert(1, tmp_path / "missing.csv")
            code, _, err = run_cli(capsys, *argv)
            assert code != 0, (name, command)
            if command != "import-file":
                assert "is not a Playlist Assistant library" in err, (name, command, err)
                assert "Traceback" not in err
        assert path.read_bytes() == before, name
        assert sorted(p.name for p in tmp_path.glob(f"{name}*")) == [name]
    garbage = tmp_path / "notes.txt"
    garbage.write_bytes(b"hello" * 100)
    code, _, err = run_cli(capsys, "stats", "--library", garbage)
    assert code == 1 and "not an SQLite database" in err
    assert garbage.read_bytes() == b"hello" * 100


def test_2_our_library_gets_the_id_and_an_old_one_is_adopted(tmp_path: Path) -> None:
    from assistant.store.migrations import APPLICATION_ID, V1

    path = tmp_path / "old.sqlite"  # a library written before the application id
    conn = sqlite3.connect(path)
    conn.executescript(V1 + ";PRAGMA user_version = 1;")
    conn.execute("INSERT INTO meta VALUES ('k', 'v')")
    conn.commit()
    conn.close()
    with Library(path) as library:
        assert library.get_meta("k") == "v"
        assert library.conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    with Library(tmp_path / "new.sqlite") as library:
        assert library.conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


@pytest.mark.slow
def test_3_concurrent_imports_of_one_file_never_crash(tmp_path: Path, lib: Path) -> None:
    path = write_slice(tmp_path, 0, 50, n_tracks=10)
    with Library(lib):
        pass  # created once, so the processes race on the import only
    # The race made certain: this connection holds the write lock while three imports
    # start, parse the file and reach their write; then it lets them all go at once.
    holder = sqlite3.connect(lib, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    procs = [cli_process("import-mpd", path, "--library", lib) for _ in range(3)]
    for proc in procs:  # each has printed its first progress line: it is reading the file
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "import" in line, line + proc.stderr.read()
    time.sleep(2.0)  # parsing 50 playlists takes milliseconds: all wait for the lock now
    holder.execute("ROLLBACK")
    holder.close()
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        outcomes.append((proc.returncode, out, err))
    for code, _out, err in outcomes:
        assert code == 0, err
        assert "Traceback" not in err
    imported = [o for _, o, _ in outcomes if "from 1 file(s)" in o]
    skipped = [o for _, o, _ in outcomes if "Skipped 1 file(s)" in o]
    assert (len(imported), len(skipped)) == (1, 2), outcomes
    with Library(lib) as library:
        assert library.count_playlists() == 50 and len(library.imports()) == 1
    assert integrity(lib) == ("ok", [])


def _csv(path: Path, n: int, first: int = 0) -> Path:
    rows = ["Track URI,Track Name"] + [
        f"spotify:track:{uid(first + i)},Song {first + i}" for i in range(n)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_4_a_files_playlist_reflects_the_file_imported_last(
    tmp_path: Path, lib: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mix = _csv(tmp_path / "mix.csv", 10)
    ten = mix.read_bytes()
    assert run_cli(capsys, "import-file", mix, "--library", lib)[0] == 0
    _csv(mix, 5)
    assert run_cli(capsys, "import-file", mix, "--library", lib)[0] == 0
    mix.write_bytes(ten)  # restored
    code, out, _ = run_cli(capsys, "import-file", mix, "--library", lib)
    assert code == 0 and "already imported" not in out
    with Library(lib) as library:
        assert len(library.find_playlist("mix").track_uris) == 10
    code, out, _ = run_cli(capsys, "import-file", mix, "--library", lib)
    assert "already imported (same content); nothing changed" in out
    copy = tmp_path / "mix copy.csv"
    copy.write_bytes(ten)
    code, out, _ = run_cli(capsys, "import-file", copy, "--library", lib)
    assert code == 0 and "Imported 'mix copy': 10 tracks" in out
    with Library(lib) as library:
        assert len(library.find_playlist("mix copy").track_uris) == 10
        assert library.count_playlists() == 2
        assert hashlib.sha256(ten).hexdigest() in {r["sha256"] for r in library.imports()}
    _imports_agree(lib)
