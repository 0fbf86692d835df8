"""Assets of stage 1: the reviewer's comment history and the code around each comment."""
# No `from __future__ import annotations` in asset modules: Dagster reads the context annotation.

import time

import dagster as dg
import pandas as pd

from ...common import progress
from ...common.errors import NoReviewHistoryError
from ...common.partitions import from_key, reviewer_repo_partitions
from ...history.checkpoint import CollectionCheckpoint
from ...history.code_context import RepoMirror, extract_contexts
from ...history.comments import collect_review_comments
from ...history.feedback import ReactionMemo, gather_feedback
from ...history.pull_chunks import reviewed_hunks, reviewed_pull_chunks
from ...history.window import context_window
from ..resources import PipelineSettings
from .steps import workspace_step


@dg.asset(
    partitions_def=reviewer_repo_partitions,
    group_name="history",
    kinds={"github", "parquet"},
    description="Every human review comment in the repository, newest first, up to the reviewer's "
    "3,000 most recent pull requests. Run-scoped and encrypted: holds diff hunks.",
)
def review_comments(context: dg.AssetExecutionContext, pipeline: PipelineSettings) -> dg.MaterializeResult:
    target = from_key(context.partition_key)
    settings = pipeline.settings()
    swept = pipeline.sweep_workspaces(context.instance, context.run.run_id)
    with workspace_step(context, pipeline) as workspace:
        checkpoint = CollectionCheckpoint(
            settings.checkpoints_dir / context.partition_key,
            workspace.fernet,
            {"reviewer": target.reviewer.lower(), "repo": target.repo.lower(), "max_prs": settings.max_prs},
            settings.checkpoint_ttl_s,
        )
        history = collect_review_comments(
            pipeline.github(target.repo, notify=context.log.warning),
            target,
            max_prs=settings.max_prs,
            checkpoint=checkpoint,
            progress=lambda pages, seen: _progress(context, pages, seen),
        )
        if history.reviewer_comments.empty:
            raise NoReviewHistoryError(target.reviewer, target.repo)
        feedback = gather_feedback(
            pipeline.github(target.repo),
            target.repo,
            target.reviewer,
            history.bot_comments,
            history.comments,
            ReactionMemo.open(settings.reactions_dir / f"{context.partition_key}.json"),
        )
        workspace.write_frame("judged_bot_comments", feedback.judged(history.bot_comments))
        workspace.write_frame("review_comments", history.comments)
        workspace.write_json(
            "history",
            {
                "authored_prs": history.authored_prs,
                "default_branch": history.default_branch,
                "pulls": {str(n): refs for n, refs in history.pulls.items()},
                "stats": history.stats,
            },
        )
        per_user = history.comments["user"].value_counts().head(10)
    approval = feedback.approval()
    return dg.MaterializeResult(
        metadata={
            **history.stats,
            "feedback": dg.MetadataValue.json(approval),
            "lead_approval": approval["lead_approval"] if approval["lead_approval"] is not None else "—",
            "feedback_api_calls": feedback.api_calls,
            "reviewer": target.reviewer,
            "repository": target.repo,
            "reviewers_seen": dg.MetadataValue.md(per_user.to_frame("comments").to_markdown()),
            "stale_workspaces_removed": len(swept),
        }
    )


def _progress(context, pages: int, seen: int) -> None:
    progress.report("collecting review comments (pages)", pages, None, f"{seen} comments")
    context.log.info(f"page {pages}: {seen} comments so far")


@dg.asset(
    partitions_def=reviewer_repo_partitions,
    group_name="history",
    kinds={"git", "parquet"},
    deps=[review_comments],
    description="The ~20 lines around each review comment, read from a private git mirror that is "
    "deleted when the step ends. Run-scoped and encrypted.",
)
def code_contexts(context: dg.AssetExecutionContext, pipeline: PipelineSettings) -> dg.MaterializeResult:
    target = from_key(context.partition_key)
    settings = pipeline.settings()
    started = time.perf_counter()
    with workspace_step(context, pipeline) as workspace:
        comments = workspace.read_frame("review_comments")
        judged = workspace.read_frame("judged_bot_comments")
        history = workspace.read_json("history")
        window = context_window(
            comments, target.reviewer, history["authored_prs"], settings.max_context_comments, settings.others_fraction
        )
        if window.skipped_reviewer_comments:
            context.log.info(
                f"reading the code of the newest {len(window.reviewed):,} of {target.reviewer}'s comments (since "
                f"{window.since:%Y-%m-%d}); {window.skipped_reviewer_comments:,} are older than training uses"
            )
        pulls = {int(n): refs for n, refs in history.get("pulls", {}).items()}
        with workspace.scratch() as scratch, RepoMirror(pipeline.github(target.repo), parent=scratch) as mirror:
            # the bot's comments the lead judged are read like hers: they become examples (feedback.py)
            wanted = pd.concat([window.top_level, judged.drop(columns=["verdict"])], ignore_index=True)
            mirror.fetch_all(history["default_branch"], wanted["pull_number"])
            contexts = extract_contexts(
                mirror, wanted, pulls, window=settings.context_lines, max_bytes=settings.max_file_bytes
            )
            chunks = reviewed_pull_chunks(
                mirror,
                window.reviewed,
                history["default_branch"],
                pulls,
                window=settings.context_lines,
                max_bytes=settings.max_file_bytes,
            )
            fetches, api_reads, gaps = mirror.fetches, mirror.api_reads, mirror.gaps()
            mirror.log_gaps()
        workspace.write_frame("code_contexts", contexts)
        workspace.write_frame("pull_chunks", chunks)
    statuses = contexts["status"].value_counts().to_dict()
    hunks = reviewed_hunks(chunks)
    return dg.MaterializeResult(
        metadata={
            "contexts": len(contexts),
            "reviewed_chunks": int((chunks["level"] == "chunk").sum()),
            "reviewed_chunks_commented": int(((chunks["level"] == "chunk") & chunks["commented"]).sum()),
            "reviewed_hunks": len(hunks),
            "reviewed_hunks_commented": int(hunks.sum()),
            "silent_lines": int((chunks["level"] == "line").sum()),
            "statuses": dg.MetadataValue.json({k: int(v) for k, v in statuses.items()}),
            "git_fetches": fetches,
            "contents_api_reads": api_reads,
            # what GitHub no longer has (force-pushed commits, removed blobs) and what it cost
            "history_gaps": dg.MetadataValue.json(gaps),
            "seconds": round(time.perf_counter() - started, 3),
        }
    )
