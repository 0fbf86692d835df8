"""Rules for `training_examples`: enough to learn from, and no leak between what trains and what measures."""

from __future__ import annotations

import pandas as pd

from . import Verdict


def enough_examples(examples: pd.DataFrame, minimum: int) -> Verdict:
    target = examples[(examples["role"] == "target") & (examples["kind"] == "comment")]
    usable = int(target["split"].isin(["train", "holdout"]).sum())
    return Verdict(
        "enough_examples",
        usable >= minimum,
        f"{usable} usable comments by the reviewer (at least {minimum} are needed)",
        {"usable_comments": usable, "minimum": minimum},
    )


def no_held_out_pull_request_in_training(examples: pd.DataFrame) -> Verdict:
    """Every pull request is on one side of the split: nothing of a validation or held-out pull request
    is trained on (the lead's examples; other reviewers' only feed the baselines)."""
    target = examples[examples["role"] == "target"]
    trained = set(target[target["split"] == "train"]["pull_number"])
    measured = set(target[target["split"].isin(["validation", "holdout"])]["pull_number"])
    leaked = sorted(int(p) for p in trained & measured)
    return Verdict(
        "no_held_out_pull_request_in_training",
        not leaked,
        f"{len(leaked)} pull requests both trained on and measured"
        if leaked
        else "train and measured pull requests are apart",
        {"train_prs": len(trained), "measured_prs": len(measured), "leaked_prs": leaked[:20]},
    )


def no_comment_on_both_sides(examples: pd.DataFrame) -> Verdict:
    """No comment (nor the same example) appears in more than one split."""
    rows = examples[examples["role"] == "target"]
    by_comment = rows[rows["comment_id"].notna()].groupby("comment_id")["split"].nunique()
    by_example = rows.groupby("example_id")["split"].nunique()
    both = sorted(int(c) for c in by_comment[by_comment > 1].index) + [str(e) for e in by_example[by_example > 1].index]
    return Verdict(
        "no_comment_on_both_sides_of_the_split",
        not both,
        f"{len(both)} comments on both sides of the split" if both else "every comment is on one side of the split",
        {"comments": int(len(by_comment)), "on_both_sides": both[:20]},
    )


def dataset_verdicts(examples: pd.DataFrame, minimum: int) -> list[Verdict]:
    return [
        enough_examples(examples, minimum),
        no_held_out_pull_request_in_training(examples),
        no_comment_on_both_sides(examples),
    ]
