"""Import jobs: per-file transactions, broken files isolated, cancel and SIGKILL leave no trace."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assistant.errors import Cancelled, ImportFormatError, InputError, NotFound
from assistant.jobs.imports import (
    ensure_demo_library,
    export_playlist_file,
    import_csv,
    import_mpd,
)
from assistant.progress import CancelToken, Progress
from assistant.store import Library
from tests.sources.factory import slice_doc, write, write_slice

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def library(tmp_path: Path) -> Library:
    lib = Library(tmp_path / "library.sqlite")
    yield lib
    lib.close()


def snapshot(lib: Library) -> tuple:
    """Everything an import can change, for before/after comparisons."""
    return (
        lib.stats(),
        [(r["path"], r["sha256"]) for r in lib.imports()],
        list(lib.conn.execute("SELECT * FROM playlist_tracks ORDER BY playlist_id, pos")),
    )


def test_folder_with_one_broken_file(tmp_path: Path, library: Library) -> None:
    data = tmp_path / "data"
    for first in (0, 10, 20):
        write_slice(data, first, 4)
    broken = slice_doc(10, 4)
    broken["playlists"][3]["tracks"][1]["duration_ms"] = "long"
    write(data / "mpd.slice.10-13.json", broken)

    summary = import_mpd(library, [data])

    assert len(summary.errors) == 1
    err = summary.errors[0]
    assert isinstance(err, ImportFormatError)
    assert (Path(err.path).name, err.index, err.pid, err.field) == (
        "mpd.slice.10-13.json",
        3,
        13,
        "duration_ms",
    )
    assert summary.playlists == 8 and summary.entries == 40
    refs = {p.source_ref for p in library.playlists()}
    assert refs == {"0", "1", "2", "3", "20", "21", "22", "23"}  # nothing of the broken file
    assert len(library.imports()) == 2


def test_helper_process_or_not_same_library(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for first in (0, 10, 20, 30):
        write_slice(data, first, 4)
    broken = slice_doc(20, 4)
    broken["playlists"][1]["pid"] = "21"
    write(data / "mpd.slice.20-23.json", broken)
    write(data / "mpd.slice.99-99.json", slice_doc(0, 4))  # same pids as the first file
    outcomes = []
    for helper in (True, False):
        with Library(tmp_path / f"{helper}.sqlite") as lib:
            summary = import_mpd(lib, [data], helper=helper)
            outcomes.append(
                (
                    [str(e) for e in summary.errors],
                    [(Path(r.path).name, r.playlists, r.entries) for r in summary.results],
                    lib.stats(),
                    list(lib.conn.execute("SELECT * FROM playlist_tracks ORDER BY 1, 2")),
                )
            )
    assert outcomes[0] == outcomes[1]
    assert "mpd.slice.20-23.json, playlist #1, field 'pid'" in outcomes[0][0][0]


def test_reimport_is_a_noop(tmp_path: Path, library: Library) -> None:
    path = write_slice(tmp_path, 0, 3)
    first = import_mpd(library, [path])
    before = snapshot(library)
    again = import_mpd(library, [tmp_path])
    assert (first.playlists, first.skipped) == (3, 0)
    assert (again.playlists, again.entries, again.skipped) == (0, 0, 1)
    assert snapshot(library) == before


def test_same_pid_in_a_new_file_updates_in_place(tmp_path: Path, library: Library) -> None:
    import_mpd(library, [write_slice(tmp_path / "a", 0, 2, n_tracks=3)])
    old_id = library.find_playlist("mpd:1").id
    import_mpd(library, [write_slice(tmp_path / "b", 1, 1, n_tracks=6)])
    updated = library.find_playlist("mpd:1")
    assert updated.id == old_id and len(updated.track_uris) == 6
    assert library.count_playlists() == 2


def test_missing_path_raises_before_anything(tmp_path: Path, library: Library) -> None:
    with pytest.raises(InputError, match="no such file"):
        import_mpd(library, [write_slice(tmp_path, 0, 1), tmp_path / "nope"])
    assert library.count_playlists() == 0


def test_progress_events(tmp_path: Path, library: Library) -> None:
    events: list[Progress] = []
    import_mpd(library, [write_slice(tmp_path, 0, 60, n_tracks=2)], report=events.append)
    assert {e.stage for e in events} == {"import"}
    assert {e.unit for e in events} == {"entries"}
    assert events[-1].done == events[-1].total == 120
    assert "1/1 files" in events[0].message


class CancelOnCheck(CancelToken):
    """A real token that cancels itself at its n-th check (deterministic mid-file cancel)."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at
        self.checks = 0

    def raise_if_cancelled(self) -> None:
        self.checks += 1
        if self.checks >= self.at:
            self.cancel()
        super().raise_if_cancelled()


def test_cancel_inside_a_file_rolls_it_back(tmp_path: Path, library: Library) -> None:
    import_mpd(library, [write_slice(tmp_path / "a", 0, 3)])
    before = snapshot(library)
    # Check 1: before the file; 2: first playlist (tracks already written); 4: after 100.
    token = CancelOnCheck(at=4)
    with pytest.raises(Cancelled):
        import_mpd(library, [write_slice(tmp_path / "b", 100, 200)], cancel=token)
    assert token.checks == 4
    assert snapshot(library) == before
    # Nothing half-done blocks a retry.
    assert import_mpd(library, [tmp_path / "b"]).playlists == 200


def test_cancel_between_files_keeps_finished_ones(tmp_path: Path, library: Library) -> None:
    write_slice(tmp_path, 0, 2)
    write_slice(tmp_path, 10, 2)
    token = CancelOnCheck(at=3)  # before file 1, inside file 1, before file 2
    with pytest.raises(Cancelled):
        import_mpd(library, [tmp_path], cancel=token)
    assert {p.source_ref for p in library.playlists()} == {"0", "1"}


KILL_CHILD = """
import sys, time
from assistant.jobs.imports import import_mpd
from assistant.progress import CancelToken
from assistant.store import Library

class Stall(CancelToken):
    checks = 0
    def raise_if_cancelled(self):
        self.checks += 1
        if self.checks == 4:  # inside the file's transaction, 100 playlists written
            print("writing", flush=True)
            time.sleep(120)

lib = Library(sys.argv[1])
import_mpd(lib, [sys.argv[2]], cancel=Stall())
"""


@pytest.mark.slow
def test_sigkill_mid_write_leaves_library_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "library.sqlite"
    with Library(db) as lib:
        import_mpd(lib, [write_slice(tmp_path / "a", 0, 3)])
        before = snapshot(lib)
    big = write_slice(tmp_path / "b", 100, 300)
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(KILL_CHILD), str(db), str(big)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    with child.stdout:
        try:
            assert child.stdout.readline().strip() == "writing"
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    with Library(db) as lib:
        assert snapshot(lib) == before
        assert import_mpd(lib, [big]).playlists == 300


@pytest.mark.shared_data
def test_real_sample_twice(mpd_sample: Path, library: Library) -> None:
    summary = import_mpd(library, [mpd_sample.parent])
    assert (summary.playlists, summary.entries) == (1_000, 61_761)
    stats = library.stats()
    assert (stats["playlists"], stats["entries"], stats["tracks"]) == (1_000, 61_761, 32_804)
    before = snapshot(library)
    assert import_mpd(library, [mpd_sample]).skipped == 1
    assert snapshot(library) == before


# -- files -----------------------------------------------------------------------------


def test_csv_import_and_exports(tmp_path: Path, library: Library) -> None:
    import_mpd(library, [write_slice(tmp_path, 0, 2, n_tracks=4)])
    pl = library.find_playlist("mpd:1")
    csv_path = export_playlist_file(library, pl.id, "csv", tmp_path / "out.csv")
    m3u_path = export_playlist_file(library, pl.id, "m3u", tmp_path / "out.m3u", links=True)
    assert m3u_path.read_text(encoding="utf-8").startswith("#EXTM3U\n#EXTINF:180")
    assert "https://open.spotify.com/track/" in m3u_path.read_text(encoding="utf-8")

    result = import_csv(library, csv_path)
    assert (result.playlists, result.entries, result.skipped) == (1, 4, False)
    copy = library.find_playlist("out")
    assert copy.source == "file" and copy.track_uris == pl.track_uris
    assert import_csv(library, csv_path).skipped
    # An edited file replaces its playlist in place.
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    csv_path.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    import_csv(library, csv_path)
    assert library.playlist(copy.id).track_uris == pl.track_uris[:2]


def test_export_errors(tmp_path: Path, library: Library) -> None:
    with pytest.raises(NotFound):
        export_playlist_file(library, 999, "csv", tmp_path / "x.csv")
    import_mpd(library, [write_slice(tmp_path, 0, 1)])
    with pytest.raises(InputError, match="format"):
        export_playlist_file(library, 1, "xml", tmp_path / "x.xml")
    with pytest.raises(InputError, match="cannot write"):
        export_playlist_file(library, 1, "csv", tmp_path / "no" / "such" / "dir.csv")


def test_bad_csv_imports_nothing(tmp_path: Path, library: Library) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("Track URI\nspotify:track:nope\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 2"):
        import_csv(library, path)
    assert library.count_playlists() == 0 and library.imports() == []


def test_ensure_demo_library(library: Library) -> None:
    assert ensure_demo_library(library) is True
    assert library.count_playlists() == 2_000
    assert ensure_demo_library(library) is False
    assert library.count_playlists() == 2_000
