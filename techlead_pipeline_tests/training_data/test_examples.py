"""Example building on hand-made history: every filter, the time split and the prompt format."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from techlead_pipeline.history.comments import comments_frame
from techlead_pipeline.training_data.examples import build_examples, cap_no_comment, to_openai_jsonl
from techlead_pipeline.training_data.prompts import NO_COMMENT

HUNK = "@@ -1,2 +1,3 @@\n def f():\n+    print('x')"


def comment(id, pr, user="lead", body="nit: no print", day=1, **kw):
    base = {
        "id": id,
        "pull_number": pr,
        "user": user,
        "user_type": "User",
        "body": body,
        "path": "a.py",
        "commit_id": "c" * 40,
        "original_commit_id": f"{pr:040d}",
        "diff_hunk": HUNK,
        "line": 2,
        "original_line": 2,
        "start_line": None,
        "original_start_line": None,
        "side": "RIGHT",
        "start_side": None,
        "subject_type": "line",
        "in_reply_to_id": None,
        "position": 1,
        "original_position": 1,
        "pull_request_review_id": None,
        "created_at": f"2025-01-{day:02d}T10:00:00+00:00",
        "updated_at": f"2025-01-{day:02d}T10:00:00+00:00",
        "html_url": "",
        "author_association": "MEMBER",
    }
    base.update(kw)
    return base


def contexts_for(comments, status="ok"):
    return pd.DataFrame(
        [
            {
                "comment_id": c["id"],
                "status": status,
                "path": c["path"],
                "language": "Python",
                "sha": "s",
                "focus_line": 2,
                "start_line": 1,
                "code": "def f():\n    print('x')",
            }
            for c in comments
        ]
    )


@pytest.fixture
def history():
    rows = [comment(i, pr=i, day=i) for i in range(1, 21)]  # 20 PRs, one comment each
    rows += [
        comment(101, 3, body="done", in_reply_to_id=3),  # reply
        comment(102, 4, user="ci[bot]", user_type="Bot"),  # bot
        comment(103, 5, body="👍"),  # emoji only
        comment(104, 99, body="my own PR note"),  # own pull request
        comment(105, 6, body="nit: no print", original_commit_id=f"{6:040d}"),  # exact duplicate of id 6
        comment(106, 7, body="binary!"),  # no code context
        comment(107, 8, user="other-dev", body="Please remove the print."),
    ]
    frame = comments_frame(rows)
    ctx = contexts_for([r for r in rows if r["id"] != 106])
    ctx = pd.concat([ctx, contexts_for([r for r in rows if r["id"] == 106], status="binary")])
    return frame, ctx


def test_filters_are_counted_by_reason(history):
    frame, ctx = history
    ex = build_examples(frame, ctx, None, authored_prs=[99], reviewer="lead", repo="o/r")
    assert dict(ex.dropped) == {
        "reply": 1,
        "empty_or_emoji": 1,
        "own_pull_request": 1,
        "duplicate": 1,
        "no_code_context": 1,
    }
    target = ex.target
    assert len(target) == 20 and set(target["kind"]) == {"comment"}
    others = ex.examples[ex.examples["role"] == "other"]
    assert list(others["user"]) == ["other-dev"]


def test_newest_pull_requests_are_held_out_enough_to_decide(history):
    frame, ctx = history
    ex = build_examples(frame, ctx, None, authored_prs=[99], reviewer="lead", repo="o/r", holdout_fraction=0.1)
    held = ex.split("holdout")
    # 20 pull requests: the newest tenth would be 2, too few to tell a way that finds her hunks from
    # one that guesses; at least 6 (a quarter of hers, here 5) are held out once she has 12.
    assert sorted(held["pull_number"]) == [16, 17, 18, 19, 20]
    assert not set(ex.split("train")["pull_number"]) & set(held["pull_number"])
    few = frame[frame["pull_number"] <= 8]
    assert sorted(build_examples(few, ctx, None, [99], "lead", "o/r").split("holdout")["pull_number"]) == [8]


def test_prompt_marks_the_commented_line_and_carries_metadata(history):
    frame, ctx = history
    row = build_examples(frame, ctx, None, [99], "lead", "o/r").target.iloc[0]
    assert row["prompt"].startswith("File: a.py (Python)\nDiff:\n@@ -1,2 +1,3 @@")
    assert ">>    2 |     print('x')" in row["prompt"]
    assert "lead" in row["system"] and "o/r" in row["system"]
    record = json.loads(to_openai_jsonl(pd.DataFrame([row])).splitlines()[0])
    assert [m["role"] for m in record["messages"]] == ["system", "user", "assistant"]
    assert record["messages"][2]["content"] == "nit: no print"


def test_silent_lines_become_no_comment_examples(history):
    frame, ctx = history
    rows = [
        {
            "level": level,
            "chunk_id": f"{pr}:b.py:0:0",
            "pull_number": pr,
            "path": "b.py",
            "language": "Python",
            "head_sha": "h",
            "hunk": "@@ -0,0 +1,1 @@\n+x = 1",
            "side": "RIGHT",
            "focus_line": 1,
            "start_line": 1,
            "code": "x = 1",
            "commented": False,
            "comment_ids": [],
        }
        for pr in range(1, 21)
        for level in ("chunk", "line")
    ]
    ex = build_examples(frame, ctx, pd.DataFrame(rows), [99], "lead", "o/r")
    train_neg = ex.split("train", kind="no_comment")
    assert len(train_neg) == 13 and set(train_neg["response"]) == {NO_COMMENT}  # line rows only
    assert len(ex.split("validation", kind="no_comment")) == 2  # where the speak-or-not threshold is set
    assert len(ex.split("holdout", kind="no_comment")) == 5
    capped = cap_no_comment(ex.split("train"), 0.25)
    assert (capped["kind"] == "no_comment").sum() == int((capped["kind"] == "comment").sum() * 0.25)
