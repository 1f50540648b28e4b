"""Explanations in words: reasons grouped by kind, ranked by contribution, said plainly."""

from __future__ import annotations

import pytest

from assistant.domain import Reason, Track
from assistant.jobs.explaining import (
    group_reasons,
    reason_context,
    reason_sentence,
    seed_effects,
    seed_refs,
)

TOXIC = Track("u:toxic", "Toxic", "u:britney", "Britney Spears", "u:itz", "In the Zone")
TRACKS = {
    TOXIC.uri: TOXIC,
    "u:lucky": Track("u:lucky", "Lucky", "u:britney", "Britney Spears", "u:oops", "Oops"),
    "u:womanizer": Track("u:womanizer", "Womanizer", "u:britney", "Britney Spears"),
    "u:hey": Track("u:hey", "Hey Ya!", "u:outkast", "Outkast", "u:speaker", "Speakerboxxx"),
}
SEEDS = ["u:toxic", "u:lucky", "u:womanizer", "u:hey", "u:toxic"]


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


def test_no_reason_and_no_positive_reason_say_popular_pick() -> None:
    assert "popular pick" in reason_sentence([])
    assert "popular pick" in reason_sentence([Reason("u:a", 0.5, -0.1), Reason("u:b", 0.5, -0.2)])


def test_context_labels_tracks_artists_albums_and_counts_distinct_seeds() -> None:
    ctx = reason_context(TRACKS, SEEDS)
    assert ctx.labels["u:toxic"] == "Toxic — Britney Spears"
    assert ctx.labels["u:britney"] == "Britney Spears"
    assert ctx.labels["u:itz"] == "In the Zone"
    assert ctx.counts["u:britney"] == 3  # Toxic twice in the playlist counts once
    assert ctx.counts["u:outkast"] == 1 and ctx.counts["u:itz"] == 1


def test_reasons_of_every_kind_are_grouped_ranked_and_phrased() -> None:
    ctx = reason_context(TRACKS, SEEDS)
    reasons = [
        Reason("u:hey", 0.1, 0.05),
        Reason("u:toxic", 0.6, 0.40),
        Reason("u:lucky", 0.3, -0.05),
        Reason("u:britney", 0.0, 0.25, "artist"),
        Reason("u:itz", 0.0, 0.02, "album"),
        Reason("trip", 0.0, 0.08, "name"),
        Reason("road", 0.0, 0.12, "name"),
        Reason("sad", 0.0, -0.03, "name"),
    ]
    groups = group_reasons(reasons, ctx.labels, ctx.counts)
    assert [(g.kind, g.refs) for g in groups] == [
        ("seed", ("u:toxic",)),
        ("artist", ("u:britney",)),
        ("name", ("road", "trip")),
        ("seed", ("u:hey",)),
        ("album", ("u:itz",)),
        ("seed", ("u:lucky",)),
    ]
    positive = 0.05 + 0.40 + 0.25 + 0.02 + 0.08 + 0.12
    assert groups[0].share == pytest.approx(0.40 / positive)
    assert groups[2].contribution == pytest.approx(0.17)  # the negative word is summed too
    assert groups[-1].share == 0.0
    # Every reason is in exactly one group: the groups add up to the reasons.
    assert sum(g.contribution for g in groups) == pytest.approx(
        sum(r.contribution for r in reasons)
    )
    assert groups[0].phrase == "Toxic — Britney Spears"
    assert groups[1].phrase == "the same artist as 3 of your tracks (Britney Spears)"
    assert groups[2].phrase == "playlists named like 'road trip'"
    assert groups[4].phrase == "the same album as one of your tracks (In the Zone)"
    text = reason_sentence(reasons, ctx.labels, ctx.counts)
    assert text == (
        "Mostly because of Toxic — Britney Spears (43%), the same artist as 3 of your tracks "
        "(Britney Spears) (27%) and 4 more reasons."
    )


def test_unknown_labels_fall_back_to_the_uri_and_a_lone_content_reason_is_not_a_seed() -> None:
    text = reason_sentence([Reason("u:x", 0.0, 0.3, "artist")])
    assert text == "Mostly because of the artist u:x (100%)."


def test_seed_effects_share_artist_and_album_terms_among_the_seeds_that_cause_them() -> None:
    refs = seed_refs(TRACKS, SEEDS)
    assert refs["u:toxic"] == ("u:britney", "u:itz")
    assert refs["u:womanizer"] == ("u:britney",)  # no album known
    reasons = [
        Reason("u:hey", 0.7, 0.5),
        Reason("u:lucky", 0.3, 0.1),
        Reason("u:britney", 0.0, 0.9, "artist"),  # 3 Britney seeds: 0.3 each
        Reason("u:itz", 0.0, 0.2, "album"),  # Toxic alone
        Reason("road", 0.0, 0.4, "name"),  # nobody's
    ]
    effects = seed_effects(reasons, refs)
    assert effects == pytest.approx(
        {"u:toxic": 0.5, "u:lucky": 0.4, "u:womanizer": 0.3, "u:hey": 0.5}
    )
    own = sum(r.contribution for r in reasons if r.kind != "name")
    assert sum(effects.values()) == pytest.approx(own)
