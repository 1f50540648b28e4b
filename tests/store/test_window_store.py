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
