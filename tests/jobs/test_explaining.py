"""The explanation sentence: reasons by contribution, shares, one seed said in words."""

from __future__ import annotations

from assistant.domain import Reason
from assistant.jobs.explaining import reason_sentence


def test_sentence_names_the_strongest_reasons_first() -> None:
    reasons = [
        Reason("u:a", 0.2, 0.1),
        Reason("u:b", 0.5, 0.6),
        Reason("u:c", 0.3, 0.3),
        Reason("u:d", 0.0, -0.05),
    ]
    text = reason_sentence(reasons, {"u:b": "B — Y", "u:c": "C — Z"})
    assert text == "Mostly because of B — Y (60%), C — Z (30%) and 2 more tracks."


def test_one_seed_is_said_not_shown_as_100_percent() -> None:
    text = reason_sentence([Reason("u:a", 1.0, 0.4)], {"u:a": "A — X"})
    assert "100%" not in text and "only track" in text and "A — X" in text
