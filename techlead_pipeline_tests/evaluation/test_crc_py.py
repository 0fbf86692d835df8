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
