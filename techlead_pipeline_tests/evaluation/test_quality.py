"""The quality study's arithmetic: the stated template rule, bootstrap intervals, and both
aggregations (repo-mean, held-out-weighted) for every metric, BLEU-4 and voice included."""

from __future__ import annotations

import math

from techlead_pipeline.evaluation.quality import (
    RepoScores,
    bootstrap_ci,
    summarize,
    template_flags,
    weighted_bootstrap_ci,
)


def test_templates_are_found_by_the_stated_rule_not_by_hand():
    texts = [
        "Please add type hints to `fn_a` (line 3)",
        "please add type hints to `other` (line 19)",
        "Please add type hints to `x` (line 200)",
        "why not a dict here?",
        "why not a dict here?",
    ]
    assert template_flags(texts) == [True, True, True, False, False]  # a person's one repeat is no template


def test_bootstrap_interval_holds_the_mean_and_narrows_with_more_data():
    mean, low, high = bootstrap_ci([0.0, 1.0] * 5)
    assert low <= mean == 0.5 <= high
    _, low_more, high_more = bootstrap_ci([0.0, 1.0] * 500)
    assert high_more - low_more < high - low
    assert all(math.isnan(x) for x in bootstrap_ci([]))


def test_weighted_means_weigh_repositories_by_their_held_out_comments():
    mean, low, high = weighted_bootstrap_ci([10.0, 0.0], [3, 1])
    assert mean == 7.5 and 0.0 <= low <= mean <= high <= 10.0


def test_every_metric_has_both_aggregations():
    big = RepoScores(
        "a/big",
        rouge=[0.5] * 3,
        semantic=[0.5] * 3,
        posted_rouge=[0.5] * 3,
        posted_semantic=[0.5] * 3,
        silent=[False] * 3,
        bleu4=10.0,
        posted_bleu4=10.0,
        voice=0.9,
    )
    small = RepoScores(
        "b/small",
        rouge=[0.1],
        semantic=[0.1],
        posted_rouge=[0.0],
        posted_semantic=[0.0],
        silent=[True],
        bleu4=2.0,
        posted_bleu4=0.0,
        voice=0.1,
    )
    summary = summarize([big, small])
    for metric in ("rouge", "semantic", "posted_rouge", "posted_semantic", "bleu4", "posted_bleu4", "voice"):
        assert set(summary[metric]) == {"repo_mean", "weighted"}, metric
    assert summary["bleu4"]["repo_mean"][0] == 6.0 and summary["bleu4"]["weighted"][0] == 8.0
    assert math.isclose(summary["voice"]["weighted"][0], 0.7) and summary["silent"] == 0.25


def _repo_frame(repo: str, prs: int):
    import pandas as pd

    return pd.DataFrame(
        {
            "repo": repo,
            "pull_number": list(range(prs)),
            "created_at": pd.date_range("2024-01-01", periods=prs, freq="D", tz="UTC"),
            "split": "train",
        }
    )


def test_rolling_origin_trains_only_on_what_came_before_each_cut_off():
    import pandas as pd

    from techlead_pipeline.evaluation.quality import rolling_splits

    frame = pd.concat([_repo_frame("a/big", 100), _repo_frame("b/small", 5)], ignore_index=True)
    folds = rolling_splits(frame, folds=4)
    held = []
    for _fold, split in folds:
        big = split[split["repo"] == "a/big"]
        times = {s: big[big["split"] == s]["created_at"] for s in ("train", "validation", "holdout")}
        assert times["train"].max() < times["validation"].min() <= times["validation"].max() < times["holdout"].min()
        held.append(set(big[big["split"] == "holdout"]["pull_number"]))
    small_first = folds[0][1][folds[0][1]["repo"] == "b/small"]
    assert (small_first["split"] == "unused").all()  # too little history before its first cut-off
    assert all(not (a & b) for i, a in enumerate(held) for b in held[i + 1 :])  # each comment held out once
    assert sum(map(len, held)) == 40 and max(max(h) for h in held) == 99


def test_paired_differences_see_what_overlapping_intervals_hide():
    from techlead_pipeline.evaluation.quality import bootstrap_ci, paired_difference

    rng = __import__("numpy").random.default_rng(1)
    base = {f"r{i}": list(rng.uniform(0, 1, 20)) for i in range(8)}
    better = {r: [x + 0.03 for x in v] for r, v in base.items()}  # always a little better, on the same items
    diff = paired_difference(better, base)
    mean, low, high = diff["repo_mean"]
    assert abs(mean - 0.03) < 1e-9 and low > 0 and diff["weighted"][1] > 0
    a = bootstrap_ci([sum(v) / len(v) for v in better.values()])
    b = bootstrap_ci([sum(v) / len(v) for v in base.values()])
    assert a[1] < b[2]  # unpaired, the two intervals overlap
    same = paired_difference(base, base)
    assert same["repo_mean"] == (0.0, 0.0, 0.0)
