"""Explanations people read: a recommendation's reasons grouped, ranked and said in words.

Qt-free, for the CLI and the window's "Why" panel alike. The model gives one
:class:`~assistant.domain.Reason` per term of the score (a seed track, an artist or album
the candidate shares with the playlist, a word of the playlist's name); here they become
groups ranked by contribution, each with a phrase:

* a seed: "Toxic — Britney Spears";
* an artist or album: "the same artist as 3 of your tracks (Britney Spears)";
* the name's words, one group: "playlists named like 'road trip'".

A group's share is its part of the positive contributions, so the percentages of the named
groups never exceed 100%.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from assistant.domain import Reason, Track

TOP_REASONS = 2


@dataclass(frozen=True, slots=True)
class ReasonGroup:
    """Reasons of one kind about one thing (all name tokens form one group).

    Attributes:
        kind: seed | artist | album | name.
        refs: the track/artist/album URI, or the name tokens (strongest first).
        contribution: the sum of the group's contributions.
        share: ``contribution`` over the positive contributions of all reasons (0 if ≤ 0).
        phrase: how the group is said, e.g. "the same artist as 3 of your tracks (X)".
    """

    kind: str
    refs: tuple[str, ...]
    contribution: float
    share: float
    phrase: str


@dataclass(frozen=True, slots=True)
class ReasonContext:
    """What the phrases need from the library.

    Attributes:
        labels: how to name a URI: tracks "Title — Artist", artists and albums by name.
        counts: per artist/album URI, how many distinct seeds of the playlist have it.
    """

    labels: dict[str, str]
    counts: dict[str, int]


def reason_context(tracks: Mapping[str, Track], seed_uris: Iterable[str]) -> ReasonContext:
    """Labels and seed counts from library metadata.

    Args:
        tracks: metadata of the seeds and of the tracks to be named (``Library.tracks``).
        seed_uris: the playlist's seeds (duplicates count once).
    """
    labels: dict[str, str] = {}
    for uri, t in tracks.items():
        title = t.name or uri
        labels[uri] = f"{title} — {t.artist_name}" if t.artist_name else title
        if t.artist_uri and t.artist_name:
            labels.setdefault(t.artist_uri, t.artist_name)
        if t.album_uri and t.album_name:
            labels.setdefault(t.album_uri, t.album_name)
    counts: dict[str, int] = {}
    for refs in seed_refs(tracks, seed_uris).values():
        for ref in refs:
            counts[ref] = counts.get(ref, 0) + 1
    return ReasonContext(labels, counts)


def seed_refs(tracks: Mapping[str, Track], seed_uris: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Per distinct seed with metadata, the artist and album URIs it has: what the
    shared-artist/album reasons are about."""
    return {
        uri: tuple(ref for ref in (t.artist_uri, t.album_uri) if ref)
        for uri in dict.fromkeys(seed_uris)
        if (t := tracks.get(uri)) is not None
    }


def seed_effects(
    reasons: Sequence[Reason], seed_refs: Mapping[str, Iterable[str]]
) -> dict[str, float]:
    """How much each track of the playlist pulled the proposal in: its own ("seed") term
    plus an equal share of each shared-artist/album term it takes part in.

    The artist term ``w · log(1 + n)`` is there because of the n seeds by that artist
    and treats them alike, so each gets 1/n of it (its Shapley value). The effects add up
    to the seed, artist and album terms of the score (the name words and the bias are
    nobody's). Removing the seeds with the largest effects is what
    ``tests/benchmarks/bench_explain.py`` checks against removing random seeds.

    Args:
        reasons: a recommendation's reasons.
        seed_refs: per seed URI, its artist and album URIs (see :func:`seed_refs`).
    """
    effects = {uri: 0.0 for uri in seed_refs}
    for r in reasons:
        if r.kind == "seed":
            effects[r.neighbor_uri] = effects.get(r.neighbor_uri, 0.0) + r.contribution
    for r in reasons:
        if r.kind in ("artist", "album"):
            sharers = [u for u, refs in seed_refs.items() if r.neighbor_uri in refs]
            for uri in sharers:
                effects[uri] += r.contribution / len(sharers)
    return effects


def _phrase(
    kind: str, refs: Sequence[str], labels: Mapping[str, str], counts: Mapping[str, int]
) -> str:
    if kind == "name":
        return "playlists named like '" + " ".join(refs) + "'"
    ref = refs[0]
    label = labels.get(ref, ref)
    if kind in ("artist", "album"):
        n = counts.get(ref, 0)
        if n:
            return f"the same {kind} as {'one' if n == 1 else n} of your tracks ({label})"
        return f"the {kind} {label}"
    return label


def group_reasons(
    reasons: Sequence[Reason],
    labels: Mapping[str, str] | None = None,
    counts: Mapping[str, int] | None = None,
) -> list[ReasonGroup]:
    """Groups reasons (one per seed, artist and album; one for all name tokens), strongest
    first.

    Args:
        reasons: a recommendation's reasons, in any order.
        labels: names by URI (see :func:`reason_context`); the URI otherwise.
        counts: seeds per artist/album URI, for "the same artist as N of your tracks".
    """
    labels = labels or {}
    counts = counts or {}
    positive = sum(r.contribution for r in reasons if r.contribution > 0)
    sums: dict[tuple[str, str], float] = {}
    tokens: list[Reason] = []
    for r in reasons:
        if r.kind == "name":
            tokens.append(r)
        else:
            key = (r.kind, r.neighbor_uri)
            sums[key] = sums.get(key, 0.0) + r.contribution
    parts: list[tuple[str, tuple[str, ...], float]] = [
        (kind, (ref,), value) for (kind, ref), value in sums.items()
    ]
    if tokens:
        tokens.sort(key=lambda r: -r.contribution)
        # Words that pushed the score down are not what the name is "like".
        liked = [r.neighbor_uri for r in tokens if r.contribution > 0] or [tokens[0].neighbor_uri]
        parts.append(("name", tuple(liked), sum(r.contribution for r in tokens)))
    parts.sort(key=lambda p: -p[2])
    return [
        ReasonGroup(
            kind,
            refs,
            value,
            value / positive if positive > 0 and value > 0 else 0.0,
            _phrase(kind, refs, labels, counts),
        )
        for kind, refs, value in parts
    ]


def reason_sentence(
    reasons: Sequence[Reason],
    labels: Mapping[str, str] | None = None,
    counts: Mapping[str, int] | None = None,
) -> str:
    """One plain sentence: "Mostly because of A — X (41%), the same artist as 3 of your
    tracks (Y) (22%) and 3 more tracks."

    Args:
        reasons: a recommendation's reasons, in any order (grouped and ranked here).
        labels: names by URI ("Title — Artist" for tracks); the URI otherwise.
        counts: seeds per artist/album URI (see :func:`reason_context`).
    """
    groups = group_reasons(reasons, labels, counts)
    if not groups:
        return "No track of the playlist is known to the model; this is a popular pick."
    if len(groups) == 1 and groups[0].kind == "seed":
        return f"Because of {groups[0].phrase}, the only track of the playlist the model could use."
    top = [g for g in groups[:TOP_REASONS] if g.share > 0]
    if not top:
        return "Nothing in the playlist pulled this one in strongly; it is a popular pick."
    text = "Mostly because of " + ", ".join(f"{g.phrase} ({g.share:.0%})" for g in top)
    rest = groups[len(top) :]
    if rest:
        noun = "track" if all(g.kind == "seed" for g in rest) else "reason"
        text += f" and {len(rest)} more {noun}{'s' * (len(rest) != 1)}"
    return text + "."
