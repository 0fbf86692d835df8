"""Comments that fit the code they sit on (reviews/fit.py): the cases `make demo` once posted on the
docstring sweep #52, rebuilt as code windows, and the sweep itself reviewed on the sample."""

from __future__ import annotations

from techlead_pipeline.reviews.backends.generative import Rerank
from techlead_pipeline.reviews.fit import NEAR, Fit, already_done, fit, grounded, named_code, points_at
from techlead_pipeline.reviews.pull_request import load_pull_request
from techlead_pipeline.reviews.service import make_backend, review_pull_request

SWEEP = 52  # every added line turns "one customer" into "a single customer" in a docstring


def window(start: int, *lines: str) -> dict[int, str]:
    return {start + i: line for i, line in enumerate(lines)}


def test_a_comment_naming_code_that_is_not_there_is_refused():
    code = window(80, "def notify_dispute(customer_id, amount):", '    """Tell a single customer."""', "    send(x)")
    said = "missing type hints on `notify_discount` — what does it return?"
    assert named_code(said) == {"notify_discount"}
    assert fit(said, 81, code, {81}) == Fit("ungrounded")
    assert not grounded(said, "\n".join(code.values()))
    assert fit("missing type hints on `notify_dispute`", 80, code, {80}) == Fit()


def test_a_comment_asking_for_what_the_line_already_reads_is_refused():
    code = window(
        46, '    """Totals for a single customer."""', "    period_items = items(period)", "    if not period_items:"
    )
    assert fit("nit: `if not period_items:` reads better.", 46, code, {46}) == Fit("already done")
    assert already_done("use `is None`, not `== None`", "if x is None:")
    assert not already_done("use `is None`, not `== None`", "if x == None:")


def test_a_comment_about_the_next_line_moves_there_or_leaves_pre_existing_code_alone():
    code = window(56, "def charge(line_items):", '    """Charge a single customer."""', "    if len(line_items) == 0:")
    said = "nit: `not line_items` instead of `len(line_items) == 0`."
    assert fit(said, 57, code, {57}) == Fit("pre-existing", 58)  # 58 is unchanged: not this pull request's business
    assert fit(said, 57, code, {57, 58}) == Fit(None, 58)  # 58 changed too: the comment goes where it belongs
    assert fit("no bare `except:` please", 57, code, {57}) == Fit("ungrounded")  # no `except:` in sight
    assert fit("love this, thanks.", 57, code, {57}) == Fit()  # names nothing: judged by the floor alone


def test_the_docstring_sweep_posts_nothing_about_code_it_did_not_change(
    served, settings, bot_access, lead_target, training_env
):
    """As `make demo` once served it: the adapter judging her past comments, speaking on every hunk."""
    backend = make_backend("local", lead_target, served, settings.adapters_dir, base=training_env)
    backend.silence_threshold = 1.01  # speak on every hunk
    backend.rerank = Rerank(4, float("-inf"))  # and say one of her past comments there
    outcome = review_pull_request(bot_access, lead_target, SWEEP, backend, served, mention_id="sweep", post=False)
    posted = [(c.anchor.path, c.anchor.line, c.body) for c in outcome.comments]
    # What it once posted there: an old function's name, what the next line already reads, and the
    # smell of an unchanged line next to a docstring.
    assert not any("notify_discount" in body or "period_items" in body for _, _, body in posted)
    assert outcome.below_floor.get("pre-existing", 0) + outcome.below_floor.get("ungrounded", 0) >= 5
    assert "about code this pull request did not change" in outcome.summary
    pull = load_pull_request(bot_access, lead_target.repo, SWEEP)
    added = {(c.path, ln.new_no) for c in pull.changes for h in c.hunks for ln in h.lines if ln.kind == "+"}
    assert outcome.changed_line_share in (None, 1.0)  # none on code the pull request did not change
    for comment in outcome.comments:  # on a changed line, and the code it points at is there
        assert (comment.anchor.path, comment.anchor.line) in added
        lines = pull.new_file_text(comment.anchor.path).split("\n")
        around = "\n".join(lines[max(0, comment.anchor.line - 1 - NEAR) : comment.anchor.line + NEAR])
        assert points_at(comment.body, around), (comment.body, around)


SWEEP_DIFF = (
    "diff --git a/pay.py b/pay.py\n--- a/pay.py\n+++ b/pay.py\n@@ -1,4 +1,4 @@\n def charge(line_items):\n"
    '-    """Charge one customer."""\n+    """Charge a single customer."""\n     if len(line_items) == 0:\n'
    "         return None\n"
)
NEW_TEXT = (
    'def charge(line_items):\n    """Charge a single customer."""\n    if len(line_items) == 0:\n        return None\n'
)


class _Says:
    """A backend that says one thing on each hunk's first line: what review_changes makes of it is
    what is tested."""

    name = "fixed"

    def __init__(self, text: str):
        self.text = text

    def review(self, hunks):
        from techlead_pipeline.reviews.backends.base import Suggestion

        return [Suggestion(h.candidates[0], self.text) for h in hunks]


def test_unchanged_code_is_left_alone_unless_the_lead_comments_there():
    from techlead_pipeline.diffs.patch import parse_diff
    from techlead_pipeline.reviews.service import review_changes

    said = _Says("nit: `not line_items` instead of `len(line_items) == 0`.")
    drafts, prepared, _ = review_changes(parse_diff(SWEEP_DIFF), lambda path: NEW_TEXT, said)
    assert drafts == [] and prepared.below_floor.as_dict() == {"pre-existing": 1}
    drafts, prepared, _ = review_changes(
        parse_diff(SWEEP_DIFF), lambda path: NEW_TEXT, said, comments_on_unchanged_code=True
    )
    [draft] = drafts  # a lead who does comment on unchanged code: on the line it is about
    assert (draft.anchor.path, draft.anchor.line, draft.anchor.side) == ("pay.py", 3, "RIGHT")


def test_the_habit_is_counted_in_her_history():
    import pandas as pd

    from techlead_pipeline.history.code_context import on_unchanged_line
    from techlead_pipeline.reviews.service import comments_on_unchanged_code
    from techlead_pipeline.training_data.examples import unchanged_line_share

    assert on_unchanged_line("@@ -1,3 +1,3 @@\n x = 1\n-y = 2\n+y = 3") is False
    assert on_unchanged_line("@@ -1,3 +1,3 @@\n x = 1\n+y = 3\n z = 4") is True
    assert on_unchanged_line("") is None
    frame = pd.DataFrame(
        {
            "role": ["target"] * 12 + ["other"],
            "kind": ["comment"] * 11 + ["no_comment", "comment"],
            "split": ["train"] * 13,
            "unchanged_line": pd.array([True] * 4 + [False] * 7 + [None, True], dtype="boolean"),
        }
    )
    share, counted = unchanged_line_share(frame)
    assert (share, counted) == (round(4 / 11, 4), 11)

    for habits, expected in (
        ({"unchanged_line_share": 0.36, "comments_counted": 11}, True),
        ({"unchanged_line_share": 0.1, "comments_counted": 40}, False),
        ({"unchanged_line_share": 0.5, "comments_counted": 3}, False),  # too little history to tell
        ({}, False),
    ):
        b = type("B", (), {"manifest": {"habits": habits}})()
        assert comments_on_unchanged_code(b) is expected
