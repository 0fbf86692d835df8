"""What every asset does around its work: answer the mention that asked for the run when the step
fails (a sentence, never a traceback), and for the assets that use the run workspace, find it and
clean it up when it is the run's last user or when anything fails.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Callable, Iterator

import dagster as dg

from ...common.errors import UserFacingError
from ...common.run_workspace import RunWorkspace
from ...reviews.backends.base import BackendUnavailableError
from .. import run_tags
from ..resources import PipelineSettings

log = logging.getLogger(__name__)

# The assets that learn a reviewer, in the order a run executes them; all of them use the run workspace.
TRAINING_CHAIN = ("review_comments", "code_contexts", "training_examples", "reviewer_adapter", "reviewer_evaluation")
PIPELINE = (*TRAINING_CHAIN, "pr_review")


def later_workspace_users_selected(context: dg.AssetExecutionContext) -> bool:
    mine = context.asset_key.to_user_string()
    later = TRAINING_CHAIN[TRAINING_CHAIN.index(mine) + 1 :]
    selected = {k.to_user_string() for k in context.job_def.asset_layer.selected_asset_keys}
    return any(name in selected for name in later)


def reply_to_mention(context: dg.AssetExecutionContext, pipeline: PipelineSettings, body: str) -> None:
    """Posts `body` on the pull request whose mention started this run (if one did)."""
    from ...reviews.replies import post_reply

    repo = context.run.tags.get(run_tags.REPO)
    pull = context.run.tags.get(run_tags.PULL)
    if not repo or not pull:
        return
    try:
        post_reply(pipeline.github(repo), repo, int(pull), body, mention_id=context.run.tags.get(run_tags.MENTION_ID))
    except Exception as exc:  # the run's own failure is what matters; log, do not mask it
        log.warning("could not reply on %s#%s: %s", repo, pull, type(exc).__name__)


@contextmanager
def replies_on_failure(
    context: dg.AssetExecutionContext,
    pipeline: PipelineSettings,
    doing: str,
    user_error_prefix: str = "",
    cleanup: Callable[[], None] = lambda: None,
) -> Iterator[None]:
    """Answers the mention when the step fails: the sentence of an error the user can act on (and
    a Dagster failure without traceback, retried only when the model server was away), or an apology
    naming the run when the fault is ours. `cleanup` runs first, whatever failed."""
    try:
        yield
    except (UserFacingError, BackendUnavailableError) as exc:
        cleanup()
        reply_to_mention(context, pipeline, f"{user_error_prefix}{exc}")
        raise dg.Failure(description=str(exc), allow_retries=isinstance(exc, BackendUnavailableError)) from None
    except BaseException:
        cleanup()
        reply_to_mention(
            context,
            pipeline,
            f"Sorry, something went wrong on my side while {doing} (run `{context.run.run_id[:8]}`). "
            "The maintainers can see the details in Dagster; a new mention will try again.",
        )
        raise


@contextmanager
def workspace_step(context: dg.AssetExecutionContext, pipeline: PipelineSettings) -> Iterator[RunWorkspace]:
    workspace = pipeline.workspace(context)
    with replies_on_failure(context, pipeline, "preparing this review", cleanup=workspace.purge):
        yield workspace
    if not later_workspace_users_selected(context):
        workspace.purge()
