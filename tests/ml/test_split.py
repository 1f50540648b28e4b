"""Both evaluation splits: every edge kept, no leakage, deterministic."""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np
import pytest

from assistant.errors import InputError
from assistant.ml.graph import Interactions
from assistant.ml.split import (
    CATEGORY_MIN_LENGTH,
    cases_from_challenge_set,
    challenge_split,
    link_split,
    title_only,
)
from assistant.sources.mpd import ChallengePlaylist


def _graph(n_playlists: int = 60, n_tracks: int = 400, seed: int = 1) -> Interactions:
    rng = np.random.default_rng(seed)
    lists = []
    for _ in range(n_playlists):
        n = int(rng.integers(1, 200))
        lists.append([f"spotify:track:{t}" for t in rng.choice(n_tracks, size=n, replace=False)])
    return Interactions.from_lists(
        lists, list(range(100, 100 + n_playlists)), names=[f"pl {i}" for i in range(n_playlists)]
    )


def test_link_split_keeps_every_edge_exactly_once() -> None:
    data = _graph()
    split = link_split(data, seed=3)
    assert split.train.n_playlists == data.n_playlists
    assert split.train.track_uris == data.track_uris
    val = {c.row: c for c in split.val}
    test = {c.row: c for c in split.test}
    total = split.train.n_edges
    for i in range(data.n_playlists):
        row = data.row(i)
        parts = [split.train.row(i)]
        if i in val:
            parts.append(val[i].targets)
            assert np.array_equal(val[i].seeds, split.train.row(i))
        if i in test:
            parts.append(test[i].targets)
            # Test seeds are train + validation edges, never a test target.
            assert not np.isin(test[i].seeds, test[i].targets).any()
            assert len(test[i].seeds) + len(test[i].targets) == len(row)
        joined = np.concatenate(parts)
        assert sorted(joined.tolist()) == sorted(row.tolist())
        assert len(split.train.row(i)) >= 1
        # Training rows keep playlist order.
        pos = {t: p for p, t in enumerate(row.tolist())}
        train_pos = [pos[t] for t in split.train.row(i).tolist()]
        assert train_pos == sorted(train_pos)
    total += sum(len(c.targets) for c in split.val) + sum(len(c.targets) for c in split.test)
    assert total == data.n_edges
    # Roughly 70/15/15 overall.
    assert 0.6 < split.train.n_edges / data.n_edges < 0.8


def test_link_split_has_no_case_without_targets_and_is_deterministic() -> None:
    data = _graph()
    a, b = link_split(data, seed=5), link_split(data, seed=5)
    assert all(len(c.targets) for c in a.val + a.test)
    assert [c.targets.tolist() for c in a.test] == [c.targets.tolist() for c in b.test]
    assert np.array_equal(a.train.indices, b.train.indices)
    c = link_split(data, seed=6)
    assert not np.array_equal(a.train.indices, c.train.indices)


def test_link_split_rejects_bad_fractions() -> None:
    with pytest.raises(InputError):
        link_split(_graph(), val_frac=0.6, test_frac=0.5)


def test_challenge_split_holds_out_whole_disjoint_playlists() -> None:
    data = _graph(n_playlists=120)
    split = challenge_split(data, n_val=30, n_test=30, seed=2)
    val_rows = {c.row for c in split.val}
    test_rows = {c.row for c in split.test}
    assert not val_rows & test_rows
    held = val_rows | test_rows
    assert split.train.n_playlists == data.n_playlists - len(held)
    assert not set(split.train.playlist_ids.tolist()) & {data.playlist_ids[r] for r in held}
    assert split.train.track_uris == data.track_uris
    for case in split.val + split.test:
        row = data.row(case.row)
        assert len(row) >= CATEGORY_MIN_LENGTH[case.category]
        assert len(case.targets) > 0
        assert sorted(np.concatenate([case.seeds, case.targets]).tolist()) == sorted(row.tolist())
        kind, _, n = case.category.partition("-")
        if kind == "title":
            assert len(case.seeds) == 0 and case.name
        else:
            assert len(case.seeds) == int(n)
        if kind == "first":
            assert np.array_equal(case.seeds, row[: int(n)])
    cats = Counter(c.category for c in split.val + split.test)
    assert set(cats) >= {"title", "first-1", "first-5", "first-10", "first-25", "random-25"}


def test_title_only_asks_every_named_playlist_by_its_name_alone() -> None:
    data = _graph(n_playlists=120)
    split = challenge_split(data, n_val=30, n_test=30, seed=2)
    unnamed = dataclasses.replace(split.test[0], name="  ")
    cases = title_only([unnamed, *split.test[1:]])
    assert len(cases) == len(split.test) - 1
    for case, held in zip(cases, split.test[1:], strict=True):
        assert case.category == "title" and len(case.seeds) == 0 and case.name == held.name
        assert sorted(case.targets.tolist()) == sorted(data.row(held.row).tolist())


def test_challenge_split_is_deterministic_and_skips_title_without_names() -> None:
    data = _graph(n_playlists=120)
    a = challenge_split(data, n_val=20, n_test=20, seed=1)
    b = challenge_split(data, n_val=20, n_test=20, seed=1)
    assert [(c.row, c.seeds.tolist()) for c in a.test] == [
        (c.row, c.seeds.tolist()) for c in b.test
    ]
    nameless = Interactions(data.indptr, data.indices, data.track_uris, data.playlist_ids)
    c = challenge_split(nameless, n_val=20, n_test=20, seed=1)
    assert "title" not in {x.category for x in c.val + c.test}


def test_cases_from_challenge_set_encodes_known_seeds() -> None:
    data = _graph()
    known = data.track_uris[:3]
    playlists = [
        ChallengePlaylist(pid=7, name="road trip", seed_uris=[], num_holdouts=10),
        ChallengePlaylist(
            pid=8, name="x", seed_uris=[*known, "spotify:track:nope"], num_holdouts=5
        ),
    ]
    cases = cases_from_challenge_set(playlists, data)
    assert [c.playlist_id for c in cases] == [7, 8]
    assert cases[0].category == "title" and len(cases[0].seeds) == 0
    assert cases[1].seeds.tolist() == [0, 1, 2]
    assert all(len(c.targets) == 0 for c in cases)


def test_challenge_split_fills_its_quota_from_categories_that_fit() -> None:
    rng = np.random.default_rng(0)
    lists = [
        [
            f"spotify:track:{t}"
            for t in rng.choice(300, size=int(rng.integers(10, 20)), replace=False)
        ]
        for _ in range(80)
    ]
    data = Interactions.from_lists(lists, names=[f"p{i}" for i in range(80)])
    split = challenge_split(data, n_val=10, n_test=10, seed=0)
    assert len(split.val) == 10 and len(split.test) == 10
    assert {c.category for c in split.val + split.test} <= {"title", "first-1", "first-5"}
    assert split.train.n_playlists == 60
