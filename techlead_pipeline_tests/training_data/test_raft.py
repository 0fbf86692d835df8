"""Retrieval-augmented fine-tuning: what a training prompt may show is what a review at that moment
could have found — the lead's comments written before it, on other pull requests, never its own."""

from __future__ import annotations

import pandas as pd

from techlead_pipeline.training_data.prompts import EXAMPLES_HEADER, NO_COMMENT
from techlead_pipeline.training_data.raft import earlier_comments, with_earlier_comments


def frame(n: int = 30) -> pd.DataFrame:
    rows = []
    for i in range(n):
        rows.append(
            {
                "example_id": f"e{i}",
                "kind": "comment" if i % 3 else "no_comment",
                "pull_number": i // 2,  # two examples a pull request
                "created_at": pd.Timestamp("2025-01-01", tz="UTC") + pd.Timedelta(hours=i),
                "key": f"if x == None:\n    return {i % 4}\nprint(value_{i % 5})",
                "prompt": f"File: a.py (Python)\nDiff:\n+x = {i}\nCode around the marked line (new version):\n>>1 | x",
                "response": NO_COMMENT if i % 3 == 0 else f"comment number {i}",
            }
        )
    return pd.DataFrame(rows)


def test_never_the_examples_own_comment_a_later_one_or_one_from_its_pull_request():
    examples = frame()
    pool = examples[examples["kind"] == "comment"]
    by_text = {r.response: r for r in pool.itertuples()}
    shown = earlier_comments(examples, pool, k=3)
    assert any(shown), "some examples must be shown earlier comments"
    for row, texts in zip(examples.itertuples(), shown):
        assert len(texts) <= 3 and len(set(texts)) == len(texts)
        for text in texts:
            source = by_text[text]
            assert source.example_id != row.example_id
            assert source.created_at < row.created_at
            assert source.pull_number != row.pull_number
            assert text != NO_COMMENT
    assert shown[0] == [] and shown[1] == []  # the first pull request has nothing before it


def test_a_share_of_prompts_lead_with_the_earlier_comments():
    examples = frame(60)
    pool = examples[examples["kind"] == "comment"]
    mixed = with_earlier_comments(examples, pool, k=2, share=0.5)
    augmented = mixed[mixed["rag_shown"] > 0]
    assert 10 < len(augmented) < 50
    assert all(p.startswith(EXAMPLES_HEADER) for p in augmented["prompt"])
    untouched = mixed[mixed["rag_shown"] == 0]
    assert (untouched["prompt"] == examples.loc[untouched.index, "prompt"]).all()
    assert (with_earlier_comments(examples, pool, k=2, share=0.0)["rag_shown"] == 0).all()
    # the choice is by example id: the same examples are chosen whatever the row order
    again = with_earlier_comments(examples.iloc[::-1], pool, k=2, share=0.5)
    assert set(again[again["rag_shown"] > 0]["example_id"]) <= set(mixed["example_id"])
    assert set(again[again["rag_shown"] > 0]["example_id"]) == set(augmented["example_id"])
