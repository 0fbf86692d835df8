"""Rules for `pr_review`: every posted comment sits on a line of the pull request's diff, and none
repeats one the bot posted there before (same anchor, same words)."""

from __future__ import annotations

from ..reviews.said_before import SaidBefore, normalised
from . import Verdict


def anchors_inside_diff(comments: list[dict], commentable: set[tuple[str, str, int]]) -> Verdict:
    outside = [c for c in comments if (c["path"], c["side"], c["line"]) not in commentable]
    return Verdict(
        "anchors_inside_the_diff",
        not outside,
        f"{len(outside)} of {len(comments)} comments outside the diff"
        if outside
        else f"all {len(comments)} comments on lines of the diff",
        {"comments": len(comments), "outside": [f"{c['path']}:{c['line']}" for c in outside[:20]]},
    )


def no_repeated_comment(posted: list[dict], earlier: SaidBefore) -> Verdict:
    """`posted`: this review's comments; `earlier`: the bot's comments on the pull request before it."""
    mine = [(c["path"], c["side"], c["line"], normalised(c["body"])) for c in posted]
    repeated = [m for m in mine if earlier.repeats(m[0], m[1], m[2], m[3])]
    repeated += [m for i, m in enumerate(mine) if m in mine[:i]]
    return Verdict(
        "no_repeated_comment",
        not repeated,
        f"{len(repeated)} comments said before" if repeated else "nothing said twice on this pull request",
        {"repeated": [f"{p}:{line}" for p, _, line, _ in repeated[:20]], "earlier_comments": len(earlier.comments)},
    )
