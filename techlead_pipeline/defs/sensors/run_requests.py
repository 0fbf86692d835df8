"""Run requests for mentions, and mentions that wait for their reviewer's training run."""
# No `from __future__ import annotations`: Dagster reads the context annotations.

import time

import dagster as dg

from ...common.partitions import reviewer_repo
from ...mentions.decide import MentionWork
from ...mentions.poll import MentionCursor
from .. import run_tags
from ..assets.reviews import pr_review
from ..assets.steps import TRAINING_CHAIN


def run_request(work: MentionWork) -> dg.RunRequest:
    """One run per mention comment: the run key is the comment's id, so a re-delivered or re-read
    comment never starts a second run."""
    keys = (*(TRAINING_CHAIN if work.train else ()), pr_review.key.to_user_string())
    return dg.RunRequest(
        run_key=f"mention-{work.mention_id}",
        partition_key=work.target.key,
        asset_selection=[dg.AssetKey(k) for k in keys],
        tags={
            run_tags.REPO: work.repo,
            run_tags.PULL: str(work.pull_number),
            run_tags.MENTION_ID: work.mention_id,
            run_tags.REQUESTED_BY: work.commenter,
            run_tags.REVIEWER: work.target.reviewer,
            run_tags.FORCE_RELOAD: str(work.force_reload).lower(),
            "techlead/gpu": "train" if work.train else "serve",
            # A run whose worker crashed is retried from the start: its steps hand each other data
            # in the run's own workspace, which a retry from the failed step would not have.
            "dagster/retry_strategy": "ALL_STEPS",
            # Run monitoring fails a run that outlives this (a hung step, a stuck GPU).
            "dagster/max_runtime": str(TRAIN_MAX_RUNTIME_S if work.train else REVIEW_MAX_RUNTIME_S),
        },
        run_config={
            "ops": {
                "pr_review": {
                    "config": {"pull_number": work.pull_number, "mention_id": work.mention_id, "full": work.full}
                }
            }
        },
    )


FINISHED_OK = {dg.DagsterRunStatus.SUCCESS}
FINISHED_BAD = {dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
TRAIN_MAX_RUNTIME_S = 4 * 3600
REVIEW_MAX_RUNTIME_S = 1800
# A backstop only: a waiting mention follows its training run (and that run's retry) to the end,
# and run monitoring ends any run within TRAIN_MAX_RUNTIME_S.
WAIT_LIMIT_S = TRAIN_MAX_RUNTIME_S + 1800


def _run_status(instance: dg.DagsterInstance, run_key: str):
    """The status of the run started for `run_key`, followed through its automatic retries: a
    failed run that Dagster is about to retry is not finished, and its retry's status is its own."""
    runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/run_key": run_key}), limit=1)
    if not runs:
        return None
    run = runs[0]
    retries = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/root_run_id": run.run_id}), limit=1)
    latest = retries[0] if retries else run
    if latest.status == dg.DagsterRunStatus.FAILURE and latest.tags.get("dagster/will_retry") == "true":
        return dg.DagsterRunStatus.QUEUED  # its retry is on the way
    return latest.status


def to_waiting(work: MentionWork) -> dict:
    """A mention held in the cursor until its reviewer's training run ends (see release_waiting)."""
    return {
        "comment_id": work.comment_id,
        "repo": work.repo,
        "pull_number": work.pull_number,
        "commenter": work.commenter,
        "reviewer": work.target.reviewer,
        "partition": work.target.key,
        "source": work.source,
        "ask": work.ask,
        "full": work.full,
        "since": time.time(),
    }


def from_waiting(item: dict, train: bool) -> MentionWork:
    return MentionWork(
        "run",
        item["comment_id"],
        item["repo"],
        item["pull_number"],
        item["commenter"],
        target=reviewer_repo(item["reviewer"], item["repo"]),
        train=train,
        source=item.get("source", "issue"),
        ask=item.get("ask", ""),
        full=bool(item.get("full", False)),
    )


def release_waiting(context: dg.SensorEvaluationContext, cursor: MentionCursor, store) -> list[dg.RunRequest]:
    """Mentions that arrived while their reviewer was being learned run once that training ends:
    review only after a success, their own training run (and so their own reply) after a failure."""
    requests, still = [], []
    for item in cursor.waiting:
        run_key = cursor.training.get(item["partition"])
        status = _run_status(context.instance, run_key) if run_key else dg.DagsterRunStatus.FAILURE
        target = reviewer_repo(item["reviewer"], item["repo"])
        if status in FINISHED_OK and store.current(target) is not None:
            requests.append(run_request(from_waiting(item, train=False)))
        elif status in FINISHED_BAD or time.time() - item["since"] > WAIT_LIMIT_S:
            requests.append(run_request(from_waiting(item, train=True)))
        else:
            still.append(item)
    cursor.waiting = still
    waited_for = {i["partition"] for i in still}
    cursor.training = {
        p: k
        for p, k in cursor.training.items()
        if p in waited_for or _run_status(context.instance, k) not in FINISHED_OK | FINISHED_BAD
    }
    return requests
