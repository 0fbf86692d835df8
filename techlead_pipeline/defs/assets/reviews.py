"""Asset of stage 4/5: a pull request reviewed in the lead's voice and posted."""
# No `from __future__ import annotations` in asset modules: Dagster reads the context annotation.

import json
import time

import dagster as dg

from ...asset_check_rules.review import anchors_inside_diff, no_repeated_comment
from ...common.partitions import from_key, reviewer_repo_partitions
from ...common.private_files import write_private
from ...reviews.said_before import SaidBefore
from ...reviews.service import review_pull_request, served_bundle
from .. import run_tags
from ..resources import PipelineSettings, ReviewerBackendResource
from .checks import check_results, check_specs
from .gpu_tags import L40S_SERVING
from .steps import replies_on_failure
from .training import reviewer_evaluation


class ReviewRequest(dg.Config):
    pull_number: int
    mention_id: str = ""  # the issue comment that asked; empty for runs started by hand
    backend: str = "default"  # default: the deployment's choice; or auto, retrieval, local, vllm
    post: bool = True
    full: bool = False  # review every hunk, not only what changed since the bot's last review (`--full`)


@dg.asset(
    partitions_def=reviewer_repo_partitions,
    group_name="reviews",
    kinds={"github"},
    deps=[reviewer_evaluation],
    op_tags=L40S_SERVING,
    check_specs=check_specs("pr_review"),
    description="A pull request reviewed in the reviewer's voice and posted as one GitHub review. "
    "Recorded as data (PR, comments, timings) — no source code.",
)
def pr_review(
    context: dg.AssetExecutionContext,
    config: ReviewRequest,
    pipeline: PipelineSettings,
    reviewer_backend: ReviewerBackendResource,
) -> dg.MaterializeResult:
    target = from_key(context.partition_key)
    settings = pipeline.settings()
    mention_id = config.mention_id or context.run.tags.get(run_tags.MENTION_ID) or f"run-{context.run.run_id}"
    started = time.perf_counter()
    with replies_on_failure(context, pipeline, "reviewing", user_error_prefix="I could not review this pull request: "):
        bundle = served_bundle(pipeline.adapter_store(), target)
        backend = reviewer_backend.backend(target, bundle, settings.home, config.backend)
        outcome = review_pull_request(
            pipeline.github(target.repo),
            target,
            config.pull_number,
            backend,
            bundle,
            mention_id,
            post=config.post,
            full=config.full,
        )
    record = {
        "repo": target.repo,
        "pull_number": config.pull_number,
        "reviewer": target.reviewer,
        "mention_id": mention_id,
        "backend": outcome.backend,
        "adapter_version": bundle.version,
        "hunks": outcome.hunks,
        "skipped": outcome.skipped,
        "timings": outcome.timings,
        "comments": outcome.as_records(),
        "review_id": outcome.posted.review_id if outcome.posted else None,
        "review_url": outcome.posted.html_url if outcome.posted else None,
        "already_posted": bool(outcome.posted and outcome.posted.already_posted),
        "rejected": [c.anchor.__dict__ for c in outcome.posted.rejected] if outcome.posted else [],
        "declined": outcome.declined,
        "scope": outcome.scope.note if outcome.scope else "",
        "left_out": _left_out_counts(outcome),
    }
    out = settings.home / "reviews" / context.partition_key / f"pr{config.pull_number}-{_safe(mention_id)}.json"
    try:
        write_private(out, json.dumps(record, indent=1))
    except OSError as exc:  # the review is posted: a record we cannot keep (disk full) must not fail the run
        context.log.warning(f"could not keep the review record {out.name}: {exc.strerror or exc}")
    table = "\n".join(
        ["| path | line | side | comment |", "| --- | ---: | --- | --- |"]
        + [f"| `{c['path']}` | {c['line']} | {c['side']} | {c['body'].replace('|', '/')} |" for c in record["comments"]]
    )
    return dg.MaterializeResult(
        check_results=check_results("pr_review", review_verdicts(outcome)),
        metadata={
            "pull_number": config.pull_number,
            "backend": outcome.backend,
            "adapter_version": bundle.version,
            "hunks": outcome.hunks,
            "comments_posted": len(record["comments"]),
            # on lines the pull request changed (the rest: unchanged code, for a lead who comments there)
            "changed_line_share": outcome.changed_line_share if outcome.changed_line_share is not None else "—",
            "left_out": dg.MetadataValue.json(record["left_out"]),
            "scope": record["scope"],
            "already_posted": record["already_posted"],
            "declined": outcome.declined or "",
            "review_url": dg.MetadataValue.url(record["review_url"]) if record["review_url"] else "",
            "comments": dg.MetadataValue.md(table),
            "timings": dg.MetadataValue.json(outcome.timings),
            "seconds": round(time.perf_counter() - started, 3),
        },
    )


def review_verdicts(outcome) -> list:
    """The posted review judged by its rules (nothing posted: nothing outside the diff, nothing repeated)."""
    posted = outcome.posted.posted if outcome.posted and not outcome.posted.already_posted else []
    comments = [{"path": c.anchor.path, "side": c.anchor.side, "line": c.anchor.line, "body": c.body} for c in posted]
    return [
        anchors_inside_diff(comments, outcome.commentable or set()),
        no_repeated_comment(comments, outcome.earlier or SaidBefore()),
    ]


def _left_out_counts(outcome) -> dict:
    s = outcome.selection
    if s is None:
        return {}
    return {
        "said_before": len(s.said_before),
        "open_threads": len(s.open_threads),
        "held_back": len(s.held_back),
        "unwritten": s.unwritten,
        "below_floor": sum(outcome.below_floor.values()),
        **{f"below_floor_{reason}": n for reason, n in outcome.below_floor.items()},
    }


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)[:64]
