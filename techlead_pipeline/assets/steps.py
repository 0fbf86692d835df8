"""What every workspace-using asset does around its work: find its workspace, clean it up when
it is the run's last user or when anything fails, and answer the mention that asked for the run
with a sentence (never a traceback) when the failure is the user's to fix.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

import dagster as dg

from .. import run_tags
from ..history.errors import UserFacingError
from ..resources import PipelineSettings
from ..run_workspace import RunWorkspace

log = logging.getLogger(__name__)

# The assets that learn a reviewer, in the order a run executes them; all of them use the run workspace.
TRAINING_CHAIN = ("review_comments", "code_contexts", "training_examples", "reviewer_adapter", "reviewer_evaluation")
WORKSPACE_USERS = TRAINING_CHAIN
PIPELINE = (*TRAINING_CHAIN, "pr_review")


def later_workspace_users_selected(context: dg.AssetExecutionContext) -> bool:
    mine = context.asset_key.to_user_string()
    later = WORKSPACE_USERS[WORKSPACE_USERS.index(mine) + 1 :]
    selected = {k.to_user_string() for k in context.job_def.asset_layer.selected_asset_keys}
    return any(name in selected for name in later)


def reply_to_mention(context: dg.AssetExecutionContext, pipeline: PipelineSettings, body: str) -> None:
    """Posts `body` on the pull request whose mention started this run (if one did)."""
    from ..reviews.replies import post_reply

    repo = context.run.tags.get(run_tags.REPO)
    pull = context.run.tags.get(run_tags.PULL)
    if not repo or not pull:
        return
    try:
        post_reply(pipeline.github(repo), repo, int(pull), body, mention_id=context.run.tags.get(run_tags.MENTION_ID))
    except Exception as exc:  # the run's own failure is what matters; log, do not mask it
        log.warning("could not reply on %s#%s: %s", repo, pull, type(exc).__name__)


@contextmanager
def workspace_step(context: dg.AssetExecutionContext, pipeline: PipelineSettings) -> Iterator[RunWorkspace]:
    workspace = pipeline.workspace(context)
    try:
        yield workspace
    except UserFacingError as exc:
        workspace.purge()
        reply_to_mention(context, pipeline, str(exc))
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    except BaseException:
        workspace.purge()
        reply_to_mention(
            context,
            pipeline,
            f"Sorry, something went wrong on my side while preparing this review (run `{context.run.run_id[:8]}`). "
            "The maintainers can see the details in Dagster; a new mention will try again.",
        )
        raise
    else:
        if not later_workspace_users_selected(context):
            workspace.purge()
