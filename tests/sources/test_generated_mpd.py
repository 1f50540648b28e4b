"""The benchmark's synthetic MPD (tests/benchmarks/gen_mpd.py) is what the importer takes.

The scale benchmarks are only as good as their data: a generated slice must pass the
importer's full validation, be deterministic by seed, and look like the MPD where the
code is sensitive to it (lengths, popularity skew, URIs).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.jobs.imports import import_mpd
from assistant.sources.mpd import read_slice
from assistant.store.library import Library

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import gen_mpd

URI = re.compile(r"^spotify:(track|artist|album):[0-9A-Za-z]{22}$")


@pytest.mark.slow
def test_generated_slices_import_and_look_like_the_mpd(tmp_path: Path) -> None:
    cat = gen_mpd.Catalog.build(0)
    paths, entries = gen_mpd.generate(tmp_path / "a", 2, start=5, catalog=cat)
    assert [p.name for p in paths] == ["mpd.slice.5000-5999.json", "mpd.slice.6000-6999.json"]
    parsed = read_slice(paths[0])  # the importer's own validation
    lengths = np.array([len(p.track_uris) for p in parsed.playlists])
    assert len(lengths) == 1000 and lengths.min() >= 5 and lengths.max() <= 250
    assert 55 <= lengths.mean() <= 75  # the MPD: 66.3
    assert all(len(set(p.track_uris)) == len(p.track_uris) for p in parsed.playlists)
    assert parsed.playlists[0].source_ref == "5000"
    for row in parsed.tracks[:500]:
        assert URI.match(row[0]) and URI.match(row[2]) and URI.match(row[4])
    # Popularity is skewed: the top 1% of the slice's tracks hold a large share of entries.
    counts = np.unique(
        np.concatenate([p.track_uris for p in parsed.playlists]), return_counts=True
    )[1]
    top = np.sort(counts)[::-1][: len(counts) // 100].sum()
    assert top / counts.sum() > 0.1
    # Same seed, same bytes (a slice depends only on seed and index).
    again, _ = gen_mpd.generate(tmp_path / "b", 1, start=6, catalog=cat)
    assert again[0].read_bytes() == paths[1].read_bytes()
    with Library(tmp_path / "lib.sqlite") as library:
        summary = import_mpd(library, paths)
        assert summary.ok and summary.entries == entries
        assert library.stats()["playlists"] == 2000
