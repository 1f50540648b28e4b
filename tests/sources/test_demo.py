"""The synthetic demo catalog: deterministic, valid, labelled, and with learnable structure."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson

from assistant.config import DEMO_DIR
from assistant.sources.demo import write_demo
from assistant.sources.mpd import iter_slice_paths, read_slice

FILES = ("mpd.slice.demo-0-999.json", "mpd.slice.demo-1000-1999.json")


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    paths = write_demo(tmp_path)
    assert [p.name for p in paths] == list(FILES)
    for path in paths:
        assert path.read_bytes() == (DEMO_DIR / path.name).read_bytes(), (
            f"{path.name} differs from resources/demo: run `make demo` and commit the result"
        )


def test_committed_catalog_is_valid_and_labelled_synthetic() -> None:
    slices = [read_slice(p) for p in iter_slice_paths([DEMO_DIR])]
    assert [Path(s.path).name for s in slices] == list(FILES)
    for s in slices:
        assert "SYNTHETIC" in s.info["note"]
        assert len(s.playlists) == 1_000
    playlists = [p for s in slices for p in s.playlists]
    assert len({p.source_ref for p in playlists}) == 2_000
    assert all(int(p.source_ref) >= 9_000_000 for p in playlists)  # never a real MPD pid
    tracks = {row[0]: row for s in slices for row in s.tracks}
    artists = {row[2] for row in tracks.values()}
    albums = {row[4] for row in tracks.values()}
    assert 4_500 <= len(tracks) <= 7_000
    assert 550 <= len(artists) <= 600
    assert len(albums) > len(artists)
    assert all(len(uri) == len("spotify:track:") + 22 for uri in tracks)
    assert (DEMO_DIR / "README.md").read_text(encoding="utf-8").lower().count("synthetic") >= 2


def test_catalog_has_structure_a_model_can_learn() -> None:
    docs = [orjson.loads((DEMO_DIR / name).read_bytes()) for name in FILES]
    playlists = [p for d in docs for p in d["playlists"]]
    counts = Counter(t["track_uri"] for p in playlists for t in p["tracks"])
    ranked = sorted(counts.values(), reverse=True)
    # Power law: the top 5% of tracks take a far larger share of entries than 5%.
    top = ranked[: len(ranked) // 20]
    assert sum(top) / sum(ranked) > 0.2
    # Artists repeat within playlists (a uniform draw over 600 artists almost never would).
    repeats = [
        1 - len({t["artist_uri"] for t in p["tracks"]}) / len(p["tracks"]) for p in playlists
    ]
    assert sum(repeats) / len(repeats) > 0.15
    # Names come from themes: a handful of names recur, as in real playlists.
    names = Counter(p["name"].lower() for p in playlists)
    assert names.most_common(1)[0][1] >= 10
