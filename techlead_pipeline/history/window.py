"""Which comments have their code read: the reviewer's newest, and everyone's in the same period.

Training sees the newest comments (adapters/bundle.py's `training_selection`), and the splits that
validate and hold out are newer still, so code older than the newest `max_comments` of the
reviewer's is never used. Reading it anyway would make the git mirror grow with the repository's
whole history instead of with what is learned from. Other reviewers' comments feed only the
evaluation's baselines (another reviewer's nearest comment, the voice contrast), which need a
sample, not all of them: theirs are read for the newest part of that period.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd


@dataclass
class ContextWindow:
    top_level: pd.DataFrame  # the top-level comments, of anyone, whose code is read
    reviewed: pd.DataFrame  # the reviewer's, on other people's pull requests (their pulls give silences)
    skipped_reviewer_comments: int  # the reviewer's older comments left out

    @property
    def since(self):
        return self.reviewed["created_at"].min() if len(self.reviewed) else None


def context_window(
    comments: pd.DataFrame,
    reviewer: str,
    authored_prs,
    max_comments: int | None,
    others_fraction: float | None = None,
) -> ContextWindow:
    """`others_fraction`: other reviewers' comments are read for the newest share of the reviewer's
    pull requests in the window (None: all of the window's period)."""
    top_level = comments[comments["in_reply_to_id"].isna()]
    reviewer_rows = top_level[
        (top_level["user"].str.lower() == reviewer.lower()) & ~top_level["pull_number"].isin(list(authored_prs))
    ].sort_values(["created_at", "id"], ascending=[False, False])
    kept = reviewer_rows if not max_comments else reviewer_rows.head(max_comments)
    skipped = len(reviewer_rows) - len(kept)
    if not len(kept):
        return ContextWindow(top_level, kept, skipped)
    since = kept["created_at"].min() if skipped else None
    if others_fraction is not None:
        firsts = kept.groupby("pull_number")["created_at"].min().sort_values(ascending=False)
        since = firsts.head(max(2, math.ceil(len(firsts) * others_fraction))).min()
    if since is not None:
        others = top_level["user"].str.lower() != reviewer.lower()
        top_level = top_level[top_level["id"].isin(kept["id"]) | (others & (top_level["created_at"] >= since))]
    return ContextWindow(top_level, kept, skipped)
