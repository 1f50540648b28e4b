"""Evaluation splits: the reference study's edge split (done right) and RecSys 2018 style.

Both produce a :class:`Split`: a training graph over the *same* track vocabulary as the full
data, plus validation and test :class:`Case` lists. A case is one query: the seed tracks a
model is given and the tracks it must find. Every scorer is queried by seeds (fold-in), so
GNNs and baselines are compared like for like.

Link protocol (:func:`link_split`), the study's transductive 70/15/15 edge split, with the
study's mistakes fixed:

* every edge of the graph is assigned (the study's undirected split silently kept only about
  half of them);
* the split is stratified per playlist, so each playlist keeps ~70 % of its tracks as
  message-passing edges (which are also the seeds) and ~15 %/15 % become validation/test
  supervision edges (the targets);
* a playlist with nothing held out yields no case (the study scored those as recall 1.0);
* validation and test are separate case lists: pick on validation, report on test. At test
  time the playlist's validation edges are revealed as extra seeds (they are known
  positives, so they must be neither targets nor counted as misses).

Challenge protocol (:func:`challenge_split`): whole playlists are held out (validation and
test disjoint, neither in the training graph). Each gets a RecSys 2018 category: title only
(no seeds; only when names exist), the first 1/5/10/25/100 tracks, or 25/100 random tracks;
the rest of the playlist is the target. Only playlists long enough for a category are used
for it (see :data:`CATEGORY_MIN_LENGTH`). Both splits are deterministic given ``seed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.errors import InputError
from assistant.ml.graph import Interactions


@dataclass(frozen=True)
class Case:
    """One evaluation query.

    Attributes:
        row: the row in the *full* Interactions it came from (-1 for a challenge-set case).
        playlist_id: the playlist's library id (or MPD pid).
        seeds: int64 track indices given to the model (may be empty: title only).
        targets: int64 track indices to be found (empty only for official challenge-set
            cases, whose tails are hidden; :func:`~assistant.ml.evaluate.evaluate` skips them).
        category: e.g. ``"first-5"``, ``"random-25"``, ``"title"``, ``"link"``.
        name: the playlist's title, when known.
    """

    row: int
    playlist_id: int
    seeds: np.ndarray
    targets: np.ndarray
    category: str = ""
    name: str = ""


@dataclass
class Split:
    """A training graph and the validation/test queries held out from it."""

    train: Interactions
    val: list[Case]
    test: list[Case]


# The RecSys 2018 categories as (name, number of seeds, random?). The official set had
# "first 5" and "first 10" twice (with and without title); our models ignore titles, so
# each appears once here and every category gets the same share of cases.
CATEGORIES: tuple[tuple[str, int, bool], ...] = (
    ("title", 0, False),
    ("first-1", 1, False),
    ("first-5", 5, False),
    ("first-10", 10, False),
    ("first-25", 25, False),
    ("random-25", 25, True),
    ("first-100", 100, False),
    ("random-100", 100, True),
)

# Minimum playlist length per category. The challenge drew its 0/1-seed playlists from
# short-to-medium playlists and its 100-seed ones from playlists of 150+ tracks; we require
# a tail at least half as long as the seeds (and at least 5 targets), which matches those
# lower bounds on the categories where the official numbers are known.
CATEGORY_MIN_LENGTH: dict[str, int] = {
    "title": 10,
    "first-1": 10,
    "first-5": 10,
    "first-10": 20,
    "first-25": 40,
    "random-25": 40,
    "first-100": 150,
    "random-100": 150,
}


def _rows_to_interactions(data: Interactions, rows: Sequence[np.ndarray]) -> Interactions:
    """An Interactions over ``data``'s vocabulary with the given per-row track arrays."""
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=indptr[1:])
    indices = np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, np.int64)
    return data.with_rows(indptr, indices)


def _name(data: Interactions, row: int) -> str:
    return data.names[row] if data.names else ""


def link_split(
    data: Interactions, *, val_frac: float = 0.15, test_frac: float = 0.15, seed: int = 0
) -> Split:
    """The study's transductive edge split, every edge kept, stratified per playlist.

    For a playlist of n tracks, ``n * frac`` edges are held out for validation and for
    test, rounded stochastically (so the global shares are 15 %/15 % in expectation even
    for short playlists), leaving at least one message-passing edge per playlist.

    Args:
        data: the (usually k-core filtered) graph.
        val_frac, test_frac: shares of each playlist's edges held out.
        seed: makes the split reproducible.

    Returns:
        A Split whose ``train`` has every playlist (same rows as ``data``) with its 70 %
        message-passing edges (in playlist order); ``val``/``test`` cases have those edges as
        seeds (test: plus the validation edges) and the held-out edges as targets.
    """
    if val_frac < 0 or test_frac < 0 or val_frac + test_frac >= 1:
        raise InputError(
            f"Invalid split fractions val={val_frac}, test={test_frac}.",
            hint="Use fractions ≥ 0 whose sum is below 1 (the default is 0.15 and 0.15).",
        )
    rng = np.random.default_rng(seed)
    train_rows: list[np.ndarray] = []
    val: list[Case] = []
    test: list[Case] = []
    for i in range(data.n_playlists):
        tracks = data.row(i)
        n = len(tracks)
        u = rng.random(2)
        n_test = int(np.floor(n * test_frac + u[0]))
        n_val = int(np.floor(n * val_frac + u[1]))
        # Keep at least one message-passing edge: a playlist without any seeds tells a
        # transductive model nothing about itself.
        while n_test + n_val > max(n - 1, 0):
            if n_val >= n_test and n_val > 0:
                n_val -= 1
            else:
                n_test -= 1
        perm = rng.permutation(n)
        test_pos = np.sort(perm[:n_test])
        val_pos = np.sort(perm[n_test : n_test + n_val])
        train_pos = np.sort(perm[n_test + n_val :])
        train_tracks = tracks[train_pos]
        train_rows.append(train_tracks)
        pid = int(data.playlist_ids[i])
        if n_val:
            val.append(Case(i, pid, train_tracks, tracks[val_pos], "link", _name(data, i)))
        if n_test:
            seeds = tracks[np.sort(np.concatenate([train_pos, val_pos]))]
            test.append(Case(i, pid, seeds, tracks[test_pos], "link", _name(data, i)))
    return Split(_rows_to_interactions(data, train_rows), val, test)


def _categories(
    data: Interactions, categories: Sequence[str] | None
) -> list[tuple[str, int, bool]]:
    chosen = [c for c in CATEGORIES if categories is None or c[0] in categories]
    if categories is not None:
        unknown = set(categories) - {c[0] for c in CATEGORIES}
        if unknown:
            raise InputError(
                f"Unknown challenge categories: {', '.join(sorted(unknown))}.",
                hint=f"Choose among {', '.join(c[0] for c in CATEGORIES)}.",
            )
    if not any(n.strip() for n in data.names):
        # Title-only cases mean something only when playlists have names.
        chosen = [c for c in chosen if c[0] != "title"]
    return chosen


def challenge_split(
    data: Interactions,
    *,
    n_val: int,
    n_test: int,
    seed: int = 0,
    categories: Sequence[str] | None = None,
) -> Split:
    """RecSys 2018 style: whole playlists held out, seeds per challenge category.

    Held-out playlists are shared evenly among the categories; the categories needing the
    longest playlists pick first (from a seeded shuffle), so short samples still get some
    100-seed cases. What a category with too few long-enough playlists cannot take goes to
    the other categories, so ``n_val + n_test`` playlists are held out whenever enough are
    long enough for some category. Cases go to validation and test in proportion
    ``n_val : n_test``, alternating within each category.

    Args:
        data: the full graph (the training graph keeps its rows minus the held-out ones).
        n_val, n_test: how many validation and test playlists to hold out (at most).
        seed: makes the split reproducible.
        categories: restrict to these category names (default: all that apply).

    Returns:
        A Split whose ``train`` holds the other playlists over the same vocabulary.
    """
    if n_val < 0 or n_test < 0 or n_val + n_test == 0:
        raise InputError(
            "A challenge split needs some validation or test playlists.",
            hint="Pass n_val and n_test as positive numbers.",
        )
    cats = _categories(data, categories)
    rng = np.random.default_rng(seed)
    order = rng.permutation(data.n_playlists)
    lengths = data.lengths()
    total = min(n_val + n_test, data.n_playlists - 1)
    quota = {name: total // len(cats) for name, _, _ in cats}
    for name, _, _ in cats[: total % len(cats)]:
        quota[name] += 1
    taken = np.zeros(data.n_playlists, dtype=bool)
    by_length = sorted(cats, key=lambda c: -CATEGORY_MIN_LENGTH[c[0]])
    picks: dict[str, list[int]] = {}
    for name, _, _ in by_length:
        eligible = order[(lengths[order] >= CATEGORY_MIN_LENGTH[name]) & ~taken[order]]
        picked = eligible[: quota[name]]
        taken[picked] = True
        picks[name] = [int(r) for r in picked]
    # Quota a category could not fill (too few long playlists) goes, one playlist at a
    # time, to the categories whose playlists are still available, shortest needs first.
    missing = total - int(taken.sum())
    while missing > 0:
        progress = False
        for name, _, _ in reversed(by_length):
            eligible = order[(lengths[order] >= CATEGORY_MIN_LENGTH[name]) & ~taken[order]]
            if missing > 0 and len(eligible):
                taken[eligible[0]] = True
                picks[name].append(int(eligible[0]))
                missing -= 1
                progress = True
        if not progress:
            break
    val: list[Case] = []
    test: list[Case] = []
    # Case k (counting over every category) goes to validation when floor(k·share) steps
    # up: exactly floor(total·share) validation cases, spread evenly over the categories.
    val_share = n_val / (n_val + n_test)
    k = 0
    for name, n_seeds, random in by_length:
        for row in picks[name]:
            tracks = data.row(row)
            if random:
                pos = np.sort(rng.choice(len(tracks), size=n_seeds, replace=False))
            else:
                pos = np.arange(n_seeds)
            mask = np.zeros(len(tracks), dtype=bool)
            mask[pos] = True
            case = Case(
                row,
                int(data.playlist_ids[row]),
                tracks[mask].copy(),
                tracks[~mask].copy(),
                name,
                _name(data, row),
            )
            to_val = int(np.floor((k + 1) * val_share)) > int(np.floor(k * val_share))
            (val if to_val else test).append(case)
            k += 1
    train = data.select_rows(np.flatnonzero(~taken))
    return Split(train, val, test)


def title_only(cases: Sequence[Case]) -> list[Case]:
    """The same held-out playlists asked by their name alone: no seed, every track a target.

    The challenge split gives the "title" category an eighth of its cases (26 of 200 test
    playlists on the MPD sample), too few to tell two title models apart; asking *every*
    held-out playlist by its name measures the same skill on all of them. Cases without a
    name are left out.
    """
    return [
        Case(
            c.row,
            c.playlist_id,
            np.zeros(0, dtype=np.int64),
            np.concatenate([c.seeds, c.targets]),
            "title",
            c.name,
        )
        for c in cases
        if c.name.strip()
    ]


def cases_from_challenge_set(playlists: Sequence[object], data: Interactions) -> list[Case]:
    """Turns official challenge-set playlists into cases over ``data``'s vocabulary.

    Args:
        playlists: :class:`assistant.sources.mpd.ChallengePlaylist` items (from
            ``read_challenge_set``): ``pid``, ``name``, ``seed_uris``, ``num_holdouts``.
        data: the graph whose vocabulary the model uses.

    Returns:
        One case per playlist: seeds are the known seed tracks (unknown URIs are dropped:
        the model cannot use them), targets are empty (the tails are hidden), and the
        category is the official one inferred from the seeds (``title``, ``first-N`` or
        ``seeds-N`` when the order cannot be known).
    """
    cases: list[Case] = []
    for p in playlists:
        seeds, _unknown = data.encode(p.seed_uris)  # type: ignore[attr-defined]
        n = len(p.seed_uris)  # type: ignore[attr-defined]
        category = "title" if n == 0 else f"seeds-{n}"
        cases.append(
            Case(
                -1,
                int(p.pid),  # type: ignore[attr-defined]
                seeds,
                np.zeros(0, dtype=np.int64),
                category,
                str(p.name or ""),  # type: ignore[attr-defined]
            )
        )
    return cases
