"""The whole flow through Dagster, as the demo runs it: a mention trains, evaluates and reviews; the
next reviews only; a re-read comment runs nothing; --force-reload retrains."""

from __future__ import annotations

import pytest

from techlead_pipeline.adapters.store import AdapterStore
from techlead_pipeline.defs.assets.steps import PIPELINE
from techlead_pipeline.defs.runner import tick_sensor
from techlead_pipeline.sample.builder import LEAD
from techlead_pipeline_tests.conftest import SAMPLE_REPO, files_under


@pytest.fixture
def watching(settings, training_env, monkeypatch):
    monkeypatch.setenv("TECHLEAD_REPOSITORIES", SAMPLE_REPO)
    monkeypatch.setenv("TECHLEAD_LORA_EPOCHS", "1")
    monkeypatch.setenv("TECHLEAD_SEMANTIC_METRIC", "0")
    return settings


def test_mention_to_review(watching, standin, instance, lead_target):
    standin.add_issue_comment(SAMPLE_REPO, 51, "tomas-b", f"@tech-lead-bot {LEAD}")
    tick = tick_sensor("pr_mentions", None, instance)
    [run] = tick.runs
    assert run.success, run.error
    assert set(run.step_seconds) == set(PIPELINE)
    [review] = standin.posted_reviews()
    assert review["number"] == 51 and "mention=" in review["review"]["body"]
    assert "is serving" in review["review"]["body"]  # the PR reply says which model is used
    first_version = AdapterStore(watching.adapters_dir).current(lead_target).version
    assert files_under(watching.workspaces_dir) == []

    standin.add_issue_comment(SAMPLE_REPO, 52, "li-wei", f"@tech-lead-bot {LEAD}")
    tick2 = tick_sensor("pr_mentions", tick.cursor, instance)
    [cached] = tick2.runs
    assert cached.success and set(cached.step_seconds) == {"pr_review"}
    # (review only is proved by the steps it ran; how fast it is belongs to benchmarks/review.py, not a timed test)

    again = tick_sensor("pr_mentions", tick.cursor, instance)  # the same comment read again
    assert again.runs == [] and again.skipped_run_keys == [cached.tags["dagster/run_key"]]

    standin.add_issue_comment(SAMPLE_REPO, 51, "priya-r", f"@tech-lead-bot {LEAD} --force-reload")
    [forced] = tick_sensor("pr_mentions", tick2.cursor, instance).runs
    assert forced.success and "reviewer_adapter" in forced.step_seconds
    assert AdapterStore(watching.adapters_dir).current(lead_target).version != first_version
    assert len(standin.posted_reviews()) == 3
    # the --force-reload review of #51 says nothing the first one said there (same anchor, same words)
    on_51 = [r for r in standin.posted_reviews() if r["number"] == 51]
    said = [(c["path"], c["side"], c["line"], c["body"]) for r in on_51 for c in r["comments"]]
    assert len(said) == len(set(said))
