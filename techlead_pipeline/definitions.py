"""The one Dagster code location of techlead-reviewer (workspace.yaml points here)."""

import os

import dagster as dg

from .defs.assets.history import code_contexts, review_comments
from .defs.assets.reviews import pr_review
from .defs.assets.training import reviewer_adapter, reviewer_evaluation, training_examples
from .defs.resources import AdapterTraining, PipelineSettings, ReviewerBackendResource
from .defs.sensors import (
    make_mention_sensor,
    mention_run_failed,
    workspace_cleanup_on_canceled,
    workspace_cleanup_on_failure,
)

HISTORY = [review_comments, code_contexts]
TRAINING = [*HISTORY, training_examples, reviewer_adapter, reviewer_evaluation]  # steps.TRAINING_CHAIN, as assets
ALL_ASSETS = [*TRAINING, pr_review]

collect_history_job = dg.define_asset_job(
    "collect_history",
    selection=HISTORY,
    description="Collect a reviewer's history and the code around it (run-scoped; nothing kept).",
)
train_reviewer_job = dg.define_asset_job(
    "train_reviewer",
    selection=TRAINING,
    description="Collect, build the dataset, train and evaluate the adapter of one (reviewer, repo) partition; "
    "the evaluation's gate decides what serves.",
)

review_pull_request_job = dg.define_asset_job(
    "review_pull_request",
    selection=[pr_review],
    description="Review one pull request with the cached adapter of a (reviewer, repo) partition.",
)
train_and_review_job = dg.define_asset_job(
    "train_and_review",
    selection=ALL_ASSETS,
    description="Learn (or relearn) a reviewer, then review the pull request that asked.",
)


def executor() -> dg.ExecutorDefinition | None:
    """In Kubernetes every step is its own pod (GPU steps land on GPU nodes through their
    dagster-k8s tags); elsewhere Dagster's default executor."""
    if os.environ.get("TECHLEAD_EXECUTOR") == "k8s":
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor
    return None


defs = dg.Definitions(
    assets=ALL_ASSETS,
    jobs=[collect_history_job, train_reviewer_job, review_pull_request_job, train_and_review_job],
    sensors=[
        make_mention_sensor(train_and_review_job),
        workspace_cleanup_on_failure,
        workspace_cleanup_on_canceled,
        mention_run_failed,
    ],
    resources={
        "pipeline": PipelineSettings(),
        "training": AdapterTraining(),
        "reviewer_backend": ReviewerBackendResource(),
    },
    executor=executor(),
)
