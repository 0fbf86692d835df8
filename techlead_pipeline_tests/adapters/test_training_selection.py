"""What an adapter trains on: the lead's whole history (every comment) and as many silences, spread
over her pull requests rather than taken from the newest (or the biggest) one."""

from __future__ import annotations

import pandas as pd

from techlead_pipeline.adapters.base_models import REGISTRY
from techlead_pipeline.adapters.bundle import training_selection
from techlead_pipeline.training_data.prompts import NO_COMMENT


def history(silences_per_pull: dict[int, int], comments: int) -> pd.DataFrame:
    rows = []
    for pull, n in silences_per_pull.items():
        day = pd.Timestamp("2024-01-01") + pd.Timedelta(days=pull)
        rows += [
            {
                "example_id": f"n{pull}-{i:03d}",
                "kind": "no_comment",
                "pull_number": pull,
                "created_at": day,
                "response": NO_COMMENT,
            }
            for i in range(n)
        ]
    rows += [
        {
            "example_id": f"c{i:03d}",
            "kind": "comment",
            "pull_number": i % 3,
            "created_at": pd.Timestamp("2023-06-01"),
            "response": f"comment {i}",
        }
        for i in range(comments)
    ]
    return pd.DataFrame(rows)


def test_every_comment_and_as_many_silences_from_every_pull_request():
    frame = history({1: 400, 2: 3, 3: 5}, comments=12)  # #1: a 400-hunk sweep
    chosen = training_selection(frame, None)
    assert (chosen["kind"] == "comment").sum() == 12
    silences = chosen[chosen["kind"] == "no_comment"]
    assert len(silences) == 12
    assert silences.groupby("pull_number").size().to_dict() == {1: 4, 2: 3, 3: 5}  # the sweep does not crowd out
    assert training_selection(frame, None).equals(chosen)  # the same choice every time


def test_the_cpu_profile_has_no_token_budget():
    settings = dict(REGISTRY["smollm2-135m-instruct"].cpu_lora)
    assert settings["max_train_tokens"] is None and settings["max_train_comments"] is None
