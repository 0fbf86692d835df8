"""The context window: code is read for the reviewer's newest comments and for other reviewers'
comments of the newest part of that period only, whatever the size of the history."""

from __future__ import annotations

import pandas as pd

from techlead_pipeline.history.window import context_window


def history(prs: int = 40, per_pr: int = 5) -> pd.DataFrame:
    rows, cid = [], 0
    for pr in range(1, prs + 1):
        for k in range(per_pr):
            cid += 1
            when = pd.Timestamp("2025-01-01", tz="UTC") + pd.Timedelta(hours=pr * 10 + k)
            rows.append({"id": cid, "pull_number": pr, "user": "lead", "created_at": when, "in_reply_to_id": None})
        cid += 1
        rows.append({"id": cid, "pull_number": pr, "user": "other", "created_at": when, "in_reply_to_id": None})
        cid += 1
        rows.append({"id": cid, "pull_number": pr, "user": "lead", "created_at": when, "in_reply_to_id": cid - 1})
    return pd.DataFrame(rows)


def test_the_newest_comments_and_their_period():
    window = context_window(history(), "LEAD", authored_prs=[40], max_comments=50, others_fraction=0.5)
    assert len(window.reviewed) == 50 and window.skipped_reviewer_comments == 39 * 5 - 50
    assert set(window.reviewed["pull_number"]) == set(range(30, 40))  # PR 40 is the lead's own
    others = window.top_level[window.top_level["user"] == "other"]
    assert set(others["pull_number"]) == set(range(35, 41))  # the newest half of the window's pulls
    assert window.top_level["in_reply_to_id"].isna().all()


def test_small_histories_are_read_whole():
    window = context_window(history(prs=6), "lead", authored_prs=[], max_comments=1900, others_fraction=None)
    assert window.skipped_reviewer_comments == 0 and len(window.top_level) == 6 * 6
