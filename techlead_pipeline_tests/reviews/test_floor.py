"""The floor every draft must clear (reviews/floor.py): each kind of degenerate draft a small model
writes is refused, and real reviewers' comments (crc-py, and aeon_mecha where shared/ is there) are not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from techlead_pipeline.evaluation.crc_py import load_crc_py
from techlead_pipeline.reviews.floor import FloorTally, floor_reason
from techlead_pipeline.training_data.comment_text import one_line
from techlead_pipeline.training_data.prompts import NO_COMMENT

AEON = (
    Path(__file__).resolve().parents[3]
    / "shared/data/real-leads/aeon_mecha/fixture/repos/SainsburyWellcomeCentre/aeon_mecha/review_comments.json"
)


@pytest.mark.parametrize(
    "draft, reason",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("...", "empty"),
        ("?!", "empty"),
        (NO_COMMENT, "silence"),
        ("NO_COMMENT", "silence"),
        ("no_COMMENT", "silence"),
        ("No comment.", "silence"),
        ("N O   C O M M E N T", "silence"),
        ("No.", "silence"),
        ("none", "silence"),
        ("No, no, no, no, no, no, no, no, no, no, no, no", "repetition"),
        ("nit: nit: nit: please", "repetition"),
        ("move it to the end to the end to the end", "repetition"),
        ("No need to add a `#` to the end of the `#` to avoid the `#` in the `#` syntax.", "repetition"),
        ("retry retry the retry with retry", "repetition"),
        ("No need to add a `return err` to the `return err` statement.", "tautology"),
        ("please replace `total` with `total` here", "tautology"),
        ("convert x into x", "tautology"),
        ("The code is not available.", "not a review"),
        ("The code is not available. Please provide the code.", "not a review"),
        ("The code is written in Python.", "not a review"),
        ("The code is already available in the aeon/dj_pipeline/acquisition.py file.", "not a review"),
        ("As an AI, I cannot review this.", "not a review"),
        ("I cannot see the rest of the function, so I hope this helps.", "not a review"),
    ],
)
def test_degenerate_drafts_are_refused(draft, reason):
    assert floor_reason(draft) == reason


def test_a_suggestion_must_change_the_line_and_replace_it_plausibly():
    line = ["    if len(items) == 0:"]
    assert floor_reason("```suggestion\n    if len(items) == 0:\n```", line) == "suggestion"  # changes nothing
    assert floor_reason("nit:\n```suggestion\nimport antigravity\n```", line) == "suggestion"  # not this line
    assert floor_reason("```suggestion\n    if not items:\n```", line) is None
    assert floor_reason("```suggestion\n```", line) is None  # deleting the line is a real suggestion


@pytest.mark.parametrize(
    "draft",
    [
        "nit: `is None`, not `== None`.",
        "No need for the `else` after a `return`.",
        "Should this be `datajoint_pipeline` or `main`? (TODO: link the ticket, AEON-123)",
        "🎉 nice, thanks!",
        "why not `pd.merge_asof` here?",
        "add `timeout=` to the `requests.get` call",
    ],
)
def test_real_review_comments_clear_the_floor(draft):
    assert floor_reason(draft) is None


def test_the_floor_leaves_real_reviewers_alone():
    """Every real comment we have, as the bot would post it (its first line of prose; a comment that is
    only a suggestion block as written): at most 1 in 500 is refused."""
    bodies = list(load_crc_py()["comment"])
    if AEON.exists():
        bodies += [c["body"] for c in json.loads(AEON.read_text())]
    refused = [b for b in bodies if floor_reason(one_line(b) or b)]
    assert len(bodies) >= 1000
    assert len(refused) <= len(bodies) / 500, refused


def test_tally_names_each_reason_once():
    tally = FloorTally()
    for reason in ("silence", "repetition", "silence"):
        tally.add(reason)
    assert tally.total == 3 and tally.as_dict() == {"silence": 2, "repetition": 1}
    assert "(2 its silence written out; 1 repeating itself)" in tally.sentence()
    assert FloorTally().sentence() is None
