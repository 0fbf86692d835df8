"""The real-data evaluation path: repositories as reviewers, time-split, every system scored."""

from __future__ import annotations

from techlead_pipeline.evaluation.crc_py import evaluate_repository, load_crc_py, repository_examples


def test_crc_py_repository_split_and_scores():
    data = load_crc_py()
    assert len(data) == 1030
    small = data[data["repo"].isin(["scrapy", "pandas", "numpy"])]
    examples = repository_examples(small)
    for _repo, group in examples.groupby("repo"):
        held = group[group["split"] == "holdout"]
        train = group[group["split"] == "train"]
        assert len(held) and len(train)
        assert held["created_at"].min() >= train.groupby("pull_number")["created_at"].min().min()
        assert not set(held["pull_number"]) & set(train["pull_number"])  # whole PRs are held out
    report = evaluate_repository(examples, "scrapy/scrapy", semantic=False)
    assert set(report.systems) == {
        "retrieval",
        "saying nothing",
        "always speaking",
        "another reviewer's nearest comment",
        "most frequent comment",
    }
    assert report.holdout_comments > 0 and report.holdout_hunks == 0
    assert all(0 <= s["rouge_l"] <= 1 and 0 <= s["bleu4"] <= 100 for s in report.systems.values())


def test_grounded_shares_pool_repositories_and_pair_with_the_leads():
    from techlead_pipeline.evaluation.crc_py import grounded_shares

    by_repo = [
        {"retrieval": (2, 4, 3), "*lead*": (4, 4, 4), "saying nothing": (0, 0, 0)},
        {"retrieval": (3, 6, 5), "*lead*": (5, 6, 6), "saying nothing": (0, 0, 0)},
        {"retrieval": (1, 2, 2), "*lead*": (2, 2, 2), "saying nothing": (0, 0, 0)},
    ]
    out = grounded_shares(by_repo)
    assert out["retrieval"]["share"] == 0.5 and out["*lead*"]["share"] == round(11 / 12, 4)
    assert out["retrieval"]["posted"] == 10
    assert out["retrieval"]["minus_lead"] == round(0.5 - 11 / 12, 4)
    assert out["retrieval"]["minus_lead_high"] < 0  # below the leads' on every resample
    assert out["saying nothing"] == {"share": None, "drafts": 0, "posted": 0}
    assert out["retrieval"]["posted_share"] == round(6 / 10, 4)  # of the 10 it would post, 6 grounded
    assert out["retrieval"]["share_low"] <= 0.5 <= out["retrieval"]["share_high"]
