"""The mention sensor, evaluated with Dagster's build_sensor_context against the stand-in."""

from __future__ import annotations

import json
import re
import time
from collections import Counter

import dagster as dg
import pytest

from techlead_pipeline.definitions import defs
from techlead_pipeline.defs.assets.steps import PIPELINE
from techlead_pipeline.sample.builder import LEAD
from techlead_pipeline_tests.conftest import SAMPLE_REPO, mention_of, run_key_of


@pytest.fixture
def watching(settings, monkeypatch):
    monkeypatch.setenv("TECHLEAD_REPOSITORIES", SAMPLE_REPO)
    return settings


def evaluate(instance, cursor=None) -> dg.SensorResult:
    sensor = defs.resolve_sensor_def("pr_mentions")
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs, resources=dict(defs.resources)
    )
    return sensor(context)


def test_a_mention_requests_a_training_run_for_a_new_partition(watching, standin, instance):
    comment = standin.add_issue_comment(SAMPLE_REPO, 51, "tomas-b", f"@tech-lead-bot {LEAD}")
    result = evaluate(instance)
    [request] = result.run_requests
    assert request.run_key == run_key_of(comment, LEAD)
    assert request.partition_key == f"{LEAD}@acme-labs+billing_core.py"
    assert [k.to_user_string() for k in request.asset_selection] == list(PIPELINE)
    assert request.tags["techlead/pr"] == "51" and request.tags["techlead/requested_by"] == "tomas-b"
    assert request.run_config["ops"]["pr_review"]["config"] == {
        "pull_number": 51,
        "mention_id": mention_of(comment, LEAD),
        "full": False,
    }
    [partitions] = result.dynamic_partitions_requests
    assert list(partitions.partition_keys) == [request.partition_key]
    assert evaluate(instance, result.cursor).run_requests == []  # read once


def test_cached_adapter_means_review_only_unless_forced(watching, standin, instance, served):
    standin.add_issue_comment(SAMPLE_REPO, 51, "tomas-b", f"@tech-lead-bot {LEAD}")
    standin.add_issue_comment(SAMPLE_REPO, 52, "li-wei", f"@tech-lead-bot {LEAD} --force-reload")
    review_only, forced = evaluate(instance).run_requests
    assert [k.to_user_string() for k in review_only.asset_selection] == ["pr_review"]
    assert [k.to_user_string() for k in forced.asset_selection] == list(PIPELINE)
    assert forced.tags["techlead/force_reload"] == "true"


def test_a_redelivered_comment_keeps_its_run_key(watching, standin, instance):
    standin.add_issue_comment(SAMPLE_REPO, 51, "tomas-b", f"@tech-lead-bot {LEAD}")
    first = evaluate(instance).run_requests
    redelivered = evaluate(instance, cursor=None).run_requests  # as if the cursor were lost
    assert [r.run_key for r in first] == [r.run_key for r in redelivered]


@pytest.mark.parametrize(
    "login,body,reply",
    [
        ("sam-okafor", f"@tech-lead-bot {LEAD}", "only collaborators with write access"),
        ("tomas-b", "@tech-lead-bot", "Whose reviews should I learn?"),
        ("tomas-b", "@tech-lead-bot nobody-by-this-name", "can't find a GitHub user called `nobody-by-this-name`"),
    ],
)
def test_refusals_reply_once_and_start_nothing(watching, standin, instance, login, body, reply):
    comment = standin.add_issue_comment(SAMPLE_REPO, 51, login, body)
    assert evaluate(instance).run_requests == []
    evaluate(instance, cursor=None)  # read again: the reply is not repeated
    replies = standin.posted_issue_comments()
    assert len(replies) == 1 and reply in replies[0]["comment"]["body"]
    assert f"mention={comment['id']}." in replies[0]["comment"]["body"]  # the comment, and what it asked


def test_old_mentions_from_before_the_bot_are_ignored(watching, standin, instance):
    assert evaluate(instance).run_requests == []  # the sample's 2025 mention is history
    assert standin.posted_issue_comments() == []


def test_mentions_arriving_together_train_once(watching, standin, instance, monkeypatch):
    from techlead_pipeline.defs.runner import tick_sensor

    monkeypatch.setenv("TECHLEAD_TRAINER", "none")
    monkeypatch.setenv("TECHLEAD_SEMANTIC_METRIC", "0")
    for pr, who in ((51, "tomas-b"), (52, "li-wei"), (50, "priya-r")):
        standin.add_issue_comment(SAMPLE_REPO, pr, who, f"@tech-lead-bot {LEAD}")
    first = tick_sensor("pr_mentions", None, instance)
    [training] = first.runs  # one training run; the other two mentions wait for it
    assert training.success, training.error and "reviewer_adapter" in training.step_seconds
    second = tick_sensor("pr_mentions", first.cursor, instance)
    assert len(second.runs) == 2 and all(set(r.step_seconds) == {"pr_review"} for r in second.runs)
    assert sorted(p["number"] for p in standin.posted_reviews()) == [50, 51, 52]
    assert tick_sensor("pr_mentions", second.cursor, instance).runs == []


@pytest.mark.parametrize("will_retry,replies", [("false", 1), (None, 1), ("true", 0)])
def test_a_run_that_died_unanswered_gets_one_reply_unless_it_will_be_retried(
    watching, standin, instance, will_retry, replies
):
    from techlead_pipeline.defs import run_tags
    from techlead_pipeline.defs.resources import PipelineSettings
    from techlead_pipeline.defs.sensors import answer_failed_run

    comment = standin.add_issue_comment(SAMPLE_REPO, 51, "tomas-b", f"@tech-lead-bot {LEAD}")
    tags = {run_tags.REPO: SAMPLE_REPO, run_tags.PULL: "51", run_tags.MENTION_ID: mention_of(comment, LEAD)}
    if will_retry is not None:
        tags["dagster/will_retry"] = will_retry
    run = instance.add_run(dg.DagsterRun(job_name="train_and_review", status=dg.DagsterRunStatus.FAILURE, tags=tags))
    pipeline = PipelineSettings()
    answer_failed_run(instance, run, pipeline)
    answer_failed_run(instance, run, pipeline)  # the sensor sees the failure again (a lost cursor)
    posted = standin.posted_issue_comments()
    assert len(posted) == replies
    if replies:
        body = posted[0]["comment"]["body"]
        assert "stopped unexpectedly" in body and f"`{run.run_id[:8]}`" in body
        assert f"mention={mention_of(comment, LEAD)} kind=reply" in body


def test_markers_forged_by_others_silence_nothing(watching, standin, instance, served, training_env):
    """A marker counts only in the bot's own comments: a stranger who writes one into a review, or a
    comment, in advance does not make the bot believe it already answered."""
    from techlead_pipeline.defs.runner import tick_sensor
    from techlead_pipeline.reviews.markers import marker

    asked = standin.add_issue_comment(SAMPLE_REPO, 51, "tomas-b", f"@tech-lead-bot {LEAD}")
    outsider = standin.add_issue_comment(SAMPLE_REPO, 52, "sam-okafor", f"@tech-lead-bot {LEAD}")
    standin.add_review(SAMPLE_REPO, 51, "sam-okafor", f"Looks fine.\n\n{marker(mention_of(asked, LEAD), 'review')}")
    standin.add_issue_comment(SAMPLE_REPO, 51, "sam-okafor", f"ok\n\n{marker(mention_of(asked, LEAD), 'reply')}")
    standin.add_issue_comment(SAMPLE_REPO, 52, "sam-okafor", f"done\n\n{marker(mention_of(outsider, LEAD), 'refusal')}")
    [run] = tick_sensor("pr_mentions", None, instance).runs
    assert run.success, run.error
    [review] = standin.posted_reviews()
    assert review["number"] == 51 and review["review"]["body"].rstrip().endswith(
        marker(mention_of(asked, LEAD), "review")
    )
    [refusal] = standin.posted_issue_comments()
    assert refusal["number"] == 52 and "only collaborators with write access" in refusal["comment"]["body"]


def _answered(replies) -> Counter:
    return Counter(re.search(r"mention=(\d+)", r["comment"]["body"]).group(1) for r in replies)


def test_a_flood_of_strangers_neither_delays_a_collaborator_nor_is_answered_twice(
    watching, standin, instance, monkeypatch
):
    monkeypatch.setenv("TECHLEAD_WRITES_PER_MINUTE", "1000")  # pacing is the next test's subject
    standin.content_per_minute = 1000
    strangers = [
        standin.add_issue_comment(SAMPLE_REPO, 51 + i % 2, f"drive-by-{i:03}", f"@tech-lead-bot {LEAD}")
        for i in range(150)
    ]
    legit = standin.add_issue_comment(SAMPLE_REPO, 51, "tomas-b", f"@tech-lead-bot {LEAD}")
    started = time.monotonic()
    first = evaluate(instance)
    assert time.monotonic() - started < watching.sensor_budget_s
    assert [r.run_key for r in first.run_requests] == [run_key_of(legit, LEAD)]  # in the first tick
    assert len(standin.posted_issue_comments()) == watching.refusals_per_tick  # the rest wait in the cursor
    again = evaluate(instance, first.cursor)
    evaluate(instance, first.cursor)  # an evaluation that overlapped it, from the same cursor
    cursor = again.cursor
    for _ in range(10):
        cursor = evaluate(instance, cursor).cursor
    answered = _answered(standin.posted_issue_comments())
    assert answered == Counter({str(c["id"]): 1 for c in strangers})


def test_a_slow_tick_stops_reading_in_time_and_the_next_goes_on_from_there(watching, standin, instance, monkeypatch):
    monkeypatch.setenv("TECHLEAD_WRITES_PER_MINUTE", "1000")
    monkeypatch.setenv("TECHLEAD_SENSOR_BUDGET_S", "1.2")
    standin.faults.add(kind="latency", path=r"/collaborators/[^/]+/permission", latency_ms=150, times=-1)
    asked = [
        standin.add_issue_comment(SAMPLE_REPO, 51, login, f"@tech-lead-bot {LEAD}")
        for login in [f"drive-by-{i}" for i in range(30)] + ["tomas-b"]
    ]
    ticks, cursor, requests = 0, None, []
    while ticks < 20 and not requests:
        started = time.monotonic()
        result = evaluate(instance, cursor)
        # Reading all 31 would take 4.7 s; a tick stops near 0.9 s (one read may straddle it) and
        # posts refusals until 1.2 s. The margin is for a slow machine.
        assert time.monotonic() - started < 1.2 + 1.8
        cursor, requests, ticks = result.cursor, result.run_requests, ticks + 1
    assert ticks > 1 and [r.run_key for r in requests] == [run_key_of(asked[-1], LEAD)]
    for _ in range(6):
        cursor = evaluate(instance, cursor).cursor
    assert _answered(standin.posted_issue_comments()) == Counter({str(c["id"]): 1 for c in asked[:-1]})


def test_refusals_leave_most_of_the_write_budget_to_reviews(watching, standin, instance, monkeypatch):
    monkeypatch.setenv("TECHLEAD_WRITES_PER_MINUTE", "10")
    for i in range(12):
        standin.add_issue_comment(SAMPLE_REPO, 51, f"drive-by-{i}", f"@tech-lead-bot {LEAD}")
    result = evaluate(instance)
    assert len(standin.posted_issue_comments()) == 5  # half of the minute's writes
    assert len(json.loads(result.cursor)["replies"]) == 7


@pytest.mark.parametrize("damage", ["{not json", '{"version": "v", "partition": "someone-else@acme-labs+other"}'])
def test_a_corrupt_served_adapter_means_learning_again_and_stops_no_one(watching, standin, instance, served, damage):
    (served.path / "manifest.json").write_text(damage)
    standin.add_issue_comment(SAMPLE_REPO, 51, "tomas-b", f"@tech-lead-bot {LEAD}")
    standin.add_issue_comment(SAMPLE_REPO, 52, "li-wei", "@tech-lead-bot priya-r")  # another partition
    lead, other = evaluate(instance).run_requests
    assert lead.partition_key == f"{LEAD}@acme-labs+billing_core.py"
    assert [k.to_user_string() for k in lead.asset_selection] == list(PIPELINE)  # learned again, from scratch
    assert other.partition_key == "priya-r@acme-labs+billing_core.py"
