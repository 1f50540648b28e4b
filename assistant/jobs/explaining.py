"""Explanations in words: the reasons of a recommendation as one plain sentence.

Qt-free, for the CLI and the window's "Why" panel alike. A reason's share is its part of
the positive contributions, so the percentages of the named reasons never exceed 100%.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assistant.domain import Reason

TOP_REASONS = 2


def reason_sentence(reasons: Sequence[Reason], labels: Mapping[str, str] | None = None) -> str:
    """ "Mostly because of A — X (41%), B — Y (22%) and 3 more tracks."

    Args:
        reasons: a recommendation's reasons, in any order (sorted here by contribution).
        labels: how to name a neighbour ("Title — Artist") by URI; the URI otherwise.
    """
    names = labels or {}
    ranked = sorted(reasons, key=lambda r: -r.contribution)
    if not ranked:
        return "No track of the playlist is known to the model; this is a popular pick."
    if len(ranked) == 1:
        name = names.get(ranked[0].neighbor_uri, ranked[0].neighbor_uri)
        return f"Because of {name}, the only track of the playlist the model could use."
    positive = sum(r.contribution for r in ranked if r.contribution > 0)
    top = [r for r in ranked[:TOP_REASONS] if r.contribution > 0]
    if not top or positive <= 0:
        return "No track of the playlist pulled this one in strongly; it is a popular pick."
    parts = [
        f"{names.get(r.neighbor_uri, r.neighbor_uri)} ({r.contribution / positive:.0%})"
        for r in top
    ]
    rest = len(ranked) - len(top)
    text = "Mostly because of " + ", ".join(parts)
    if rest:
        text += f" and {rest} more track{'s' * (rest != 1)}"
    return text + "."
