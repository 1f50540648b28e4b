"""Evaluation use cases: measure a checkpoint or a baseline on the library's held-out
playlists, and write an official RecSys 2018 challenge submission.

A checkpoint is queried through :class:`assistant.ml.recommend.RecommenderService` by
track URI, exactly as the app uses it, so the numbers describe what a person gets. A
baseline is fitted here on the split's training playlists (EASE's λ and iALS's factors,
regularisation and α picked on validation).
Front ends pass plain options and get plain data back (a report dict, a count).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.errors import InputError
from assistant.jobs.checkpoints import foreign_checkpoint_warning, load_service
from assistant.jobs.training_data import training_interactions
from assistant.ml.baselines import fit_baseline, tune_ease, tune_ials
from assistant.ml.evaluate import (
    evaluate_by_category,
    make_validator,
    metrics_from_rankings,
    predict,
    summarize,
)
from assistant.ml.graph import Interactions
from assistant.ml.metrics import N_PREDICTIONS
from assistant.ml.split import Case, Split, challenge_split, link_split
from assistant.store.library import Library


class Ranker(Protocol):
    """Turns seed URIs (and the playlist's name; and, where known, the seeds' artist and
    album URIs) into (ranked track URIs, never a seed; how many seeds it used in no way)."""

    def __call__(
        self,
        seed_uris: Sequence[str],
        n: int,
        name: str = "",
        content: Mapping[str, tuple[str, str]] | None = None,
    ) -> tuple[list[str], int]: ...


# Checkpoint metadata keys under which the trainer may record the playlists it held out.
HELDOUT_KEYS = ("heldout_playlist_ids", "test_playlist_ids", "val_playlist_ids")


@dataclass
class EvaluationOptions:
    """What to evaluate and how (the ``evaluate`` command's options)."""

    checkpoint: Path | None = None  # default: the active checkpoint
    baseline: str | None = None  # instead of a checkpoint
    protocol: str = "challenge"
    kcore: int = 1
    slices: int | None = None
    n_test: int = 0
    seed: int = 0
    device: str = "cpu"


@dataclass
class ChallengeOutcome:
    model: str
    playlists: int
    unknown_seeds: int
    notes: list[str] = field(default_factory=list)


def library_interactions(library_path: str | Path, slices: int | None = None) -> Interactions:
    """The library's trainable graph, with playlist names (for title-only cases)."""
    with Library(library_path) as library:
        return training_interactions(library, slices=slices)


def service_ranker(service: Any, data: Interactions | None = None) -> Ranker:
    """Ranks through the service as the app does: with the playlist's name (the content
    model reads it; title-only cases have nothing else) and, given the library's
    ``data``, the seeds' artists and albums (seeds the checkpoint does not know)."""
    library = _content_of(data) if data is not None and data.has_content else {}

    def rank(
        seed_uris: Sequence[str],
        n: int,
        name: str = "",
        content: Mapping[str, tuple[str, str]] | None = None,
    ) -> tuple[list[str], int]:
        seeds = {**library, **content} if content else library
        result = service.recommend(list(seed_uris), k=n, explain=False, name=name, content=seeds)
        return [r.track_uri for r in result.recommendations], len(result.unknown_seeds)

    return rank


def _content_of(data: Interactions) -> dict[str, tuple[str, str]]:
    """Track URI → (artist URI, album URI) of the library's tracks ("" unknown)."""

    def uri(vocab: list[str], i: int) -> str:
        return vocab[i] if i >= 0 else ""

    return {
        u: (uri(data.artist_uris, int(a)), uri(data.album_uris, int(b)))
        for u, a, b in zip(data.track_uris, data.artist_of, data.album_of, strict=True)
    }


def scorer_ranker(scorer: Any, data: Interactions) -> Ranker:
    def rank(
        seed_uris: Sequence[str],
        n: int,
        name: str = "",
        content: Mapping[str, tuple[str, str]] | None = None,  # baselines read no content
    ) -> tuple[list[str], int]:
        seeds, unknown = data.encode(seed_uris)
        case = Case(-1, -1, seeds, np.zeros(0, np.int64), name=name)
        ranked = predict(scorer, [case], n=n)[0]
        return [data.track_uris[j] for j in ranked if j >= 0], len(unknown)

    return rank


def fit_named_baseline(
    name: str, split: Split | None, train: Interactions, notes: list[str] | None = None
) -> Any:
    """Fits a baseline; EASE's λ and iALS's grid are tuned on the split's validation cases
    when there are any (a line saying what was chosen goes to ``notes``)."""
    if name in ("ease", "ials") and split is not None and split.val:
        validate = make_validator(split.val)
        if name == "ease":
            scorer, _ = tune_ease(train, validate)
            chosen = f"lambda={scorer.lam:g}"
        else:
            scorer, _ = tune_ials(train, validate)
            chosen = ", ".join(f"{k}={v:g}" for k, v in scorer.params.items())
        if notes is not None:
            notes.append(f"{name} tuned on {len(split.val)} validation cases: {chosen}.")
        return scorer
    return fit_baseline(name, train)


def heldout_ids(service: Any) -> tuple[set[int], str] | None:
    """Playlist ids the checkpoint's metadata says were kept out of training, and the key.

    ``heldout_playlist_ids``/``test_playlist_ids`` were never looked at while training;
    ``val_playlist_ids`` were not trained on but chose the epoch (early stopping).
    """
    meta = getattr(service, "metadata", None)
    if isinstance(meta, dict):
        for key in HELDOUT_KEYS:
            if isinstance(meta.get(key), list) and meta[key]:
                return {int(x) for x in meta[key]}, key
    return None


def heldout_cases(options: EvaluationOptions, data: Interactions, held: set[int]) -> list[Case]:
    """Cases built from the checkpoint's held-out playlists only (none of them trained on)."""
    rows = [i for i, pid in enumerate(data.playlist_ids) if int(pid) in held]
    if len(rows) < 2:
        return []
    sub = data.select_rows(rows)
    if options.protocol == "link":
        return link_split(sub, seed=options.seed).test
    return challenge_split(sub, n_val=0, n_test=len(rows), seed=options.seed).test


def build_split(options: EvaluationOptions, data: Interactions) -> Split:
    if options.protocol == "link":
        graph = data.kcore(options.kcore) if options.kcore > 1 else data
        if graph.n_edges == 0:
            raise InputError(
                f"The {options.kcore}-core of the library is empty.", hint="Use a smaller --kcore."
            )
        return link_split(graph, seed=options.seed)
    n = options.n_test or max(1, min(1000, data.n_playlists // 10))
    if data.n_playlists < 3:
        raise InputError(
            "The challenge protocol needs at least 3 playlists in the library.",
            hint="Import more playlists (e.g. `playlist-assistant demo`).",
        )
    return challenge_split(data, n_val=n, n_test=n, seed=options.seed)


def evaluate(library_path: str | Path, options: EvaluationOptions) -> dict[str, Any]:
    """Scores a checkpoint (default: the active one) or a baseline on test playlists.

    Returns:
        {"model", "protocol", "playlists", "tracks", "metrics" (means over the test cases),
        "by_category" (the same per seed category), "notes" (what to know about them)}.

    Raises:
        InputError: the library is too small, or no test case has held-out tracks.
    """
    data = library_interactions(library_path, options.slices)
    notes: list[str] = []
    if options.baseline:
        split = build_split(options, data)
        scorer = fit_named_baseline(options.baseline, split, split.train, notes)
        model = options.baseline
        by_cat = evaluate_by_category(scorer, split.test)
        means = by_cat.pop("all", None)
        if means is None:
            raise InputError("No test case has held-out tracks.", hint="Use a larger library.")
    else:
        service = load_service(options.checkpoint, options.device)
        model = service.model_name
        held = heldout_ids(service)
        with Library(library_path) as library:
            warning = foreign_checkpoint_warning(library, service.metadata, service.track_uris)
        if warning and held:
            # Its held-out ids are row ids of the library it came from, not of this one.
            held = None
            notes.append(warning)
        cases = heldout_cases(options, data, held[0]) if held else []
        if held and cases:
            notes.append(
                f"Scored on the {len(held[0])} playlists the checkpoint's metadata lists as "
                f"held out ({held[1]}), none of which it was trained on."
            )
            if held[1] == "val_playlist_ids":
                notes.append(
                    "Those playlists chose the training epoch (early stopping), so the numbers "
                    "are slightly optimistic."
                )
        else:
            cases = build_split(options, data).test
            notes.append(
                "The checkpoint's metadata does not say which playlists of this library it held "
                "out: if it was trained on this library it has seen these test playlists, and "
                "the numbers are optimistic. Compare models on a split they were not trained on."
            )
        rank = service_ranker(service, data)
        scored = [c for c in cases if len(c.targets)]
        if not scored:
            raise InputError("No test case has held-out tracks.", hint="Use a larger library.")
        index = data.track_index
        ranked, unknown = [], 0
        for case in scored:
            uris, n_unknown = rank(
                [data.track_uris[j] for j in case.seeds], N_PREDICTIONS, case.name
            )
            unknown += n_unknown
            ranked.append(np.array([index.get(u, -1) for u in uris], dtype=np.int64))
        if unknown:
            notes.append(
                f"{unknown} seed tracks could not be used by the checkpoint (not as tracks, "
                "not through their artist or album)."
            )
        per_case = metrics_from_rankings(scored, ranked)
        means = summarize(per_case)
        by_cat = {}
        for cat in sorted({c.category for c in scored}):
            idx = [i for i, c in enumerate(scored) if c.category == cat]
            by_cat[cat] = summarize({k: v[idx] for k, v in per_case.items()})
    return {
        "model": model,
        "protocol": options.protocol,
        "playlists": data.n_playlists,
        "tracks": data.n_tracks,
        "metrics": means,
        "by_category": by_cat,
        "notes": notes,
    }


# -- challenge -------------------------------------------------------------------------


def write_submission(
    path: Path,
    rows: Sequence[tuple[int, Sequence[str]]],
    *,
    team: str,
    email: str,
    track: str | None = None,
) -> None:
    """Writes the submission CSV atomically (a temporary file renamed over the target)."""
    for text in (team, email):
        if "," in text or "\n" in text:
            raise InputError(
                f"'{text}' cannot go into the submission: it contains a comma or newline.",
                hint="Pass --team and --email without commas.",
            )
    head = ["team_info", team, *([track] if track else []), email]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", encoding="utf-8", newline="\n") as out:
        out.write(",".join(head) + "\n")
        for pid, uris in rows:
            out.write(",".join([str(pid), *uris]) + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def write_challenge_submission(
    library_path: str | Path | None,
    challenge_set: Path,
    out: Path,
    *,
    checkpoint: Path | None = None,
    baseline: str | None = None,
    team: str,
    email: str,
    track: str | None = None,
    device: str = "cpu",
) -> ChallengeOutcome:
    """Ranks 500 unique tracks (never a seed) for every playlist of a challenge set and
    writes the submission CSV.

    Raises:
        InputError: the model cannot propose 500 tracks, or team/email hold a comma.
    """
    from assistant.sources.mpd import read_challenge_set

    playlists = read_challenge_set(challenge_set)
    if baseline:
        if library_path is None:
            raise InputError("A baseline is fitted on a library: give --library PATH.")
        data = library_interactions(library_path)
        rank = scorer_ranker(fit_named_baseline(baseline, None, data), data)
        model = baseline
    else:
        service = load_service(checkpoint, device)
        rank = service_ranker(service)
        model = service.model_name
    rows: list[tuple[int, list[str]]] = []
    unknown = 0
    for p in playlists:
        seeds = set(p.seed_uris)
        ranked, n_unknown = rank(p.seed_uris, N_PREDICTIONS, p.name, p.seed_content)
        unknown += n_unknown
        uris = [u for u in dict.fromkeys(ranked) if u not in seeds]
        if len(uris) < N_PREDICTIONS:
            raise InputError(
                f"The model can only propose {len(uris)} tracks for challenge playlist {p.pid}; "
                f"a submission needs {N_PREDICTIONS}.",
                hint="Use a checkpoint (or library) with a larger catalog.",
            )
        rows.append((p.pid, uris[:N_PREDICTIONS]))
    write_submission(out, rows, team=team, email=email, track=track)
    return ChallengeOutcome(model, len(rows), unknown)
