"""Sensors: PR mentions become runs; finished runs leave no workspace behind and no mention unanswered."""

from .mentions import GitHubLookups, evaluate_mentions, handle_comment, make_mention_sensor
from .run_requests import release_waiting, run_request
from .run_status import (
    answer_failed_run,
    mention_run_failed,
    workspace_cleanup_on_canceled,
    workspace_cleanup_on_failure,
)

__all__ = [
    "GitHubLookups",
    "answer_failed_run",
    "evaluate_mentions",
    "handle_comment",
    "make_mention_sensor",
    "mention_run_failed",
    "release_waiting",
    "run_request",
    "workspace_cleanup_on_canceled",
    "workspace_cleanup_on_failure",
]
