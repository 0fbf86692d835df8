"""A review never posts the same ask twice: near-duplicates by meaning become one comment, on the
place the bot is surest of, naming the others; said again later, it is known as said."""

from __future__ import annotations

from techlead_pipeline.reviews.anchors import Anchor
from techlead_pipeline.reviews.post import DraftComment
from techlead_pipeline.reviews.repeats import said_once, without_places
from techlead_pipeline.reviews.said_before import EarlierComment, SaidBefore, normalised
from techlead_pipeline.reviews.service import select_drafts


def draft(line: int, body: str, confidence: float) -> DraftComment:
    return DraftComment(Anchor("app/ledger.py", line, "RIGHT"), body, confidence)


ASKS = [
    draft(10, "Can you add a comment to the function?", 0.4),
    draft(20, "Can you add a comment to this function?", 0.9),
    draft(30, "Could you add a comment to the function, please?", 0.5),
    draft(40, "`total` is never used after this line.", 0.3),
]


def test_the_same_ask_on_several_hunks_is_posted_once_naming_the_others():
    kept, repeats = said_once(ASKS)
    assert [d.anchor.line for d in kept] == [20, 40]  # the surest of the three, and the different one
    assert {d.anchor.line for d in repeats} == {10, 30}
    assert kept[0].body.startswith("Can you add a comment to this function?")
    assert "`app/ledger.py:10`" in kept[0].body and "`app/ledger.py:30`" in kept[0].body
    assert kept[1].body == ASKS[3].body  # nothing to name: unchanged


def test_the_review_counts_what_it_left_out_and_knows_it_said_it_later():
    selection = select_drafts(list(ASKS), SaidBefore(), cap=10)
    assert len(selection.posted) == 2 and len(selection.repeats) == 2
    posted = selection.posted[0]
    # The next review writes the same ask again at that line: it was said, places and all.
    earlier = SaidBefore([EarlierComment("app/ledger.py", "RIGHT", 20, 20, normalised(posted.body), None)])
    assert earlier.why_dropped("app/ledger.py", "RIGHT", 20, ASKS[1].body) == "said before"
    assert without_places(posted.body) == ASKS[1].body
