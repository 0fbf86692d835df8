"""History to examples in one call, for tools that run outside Dagster (tests, benchmarks, the
evaluation of real data). The assets run the same steps one per asset."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..common.partitions import ReviewerRepo
from ..common.settings import Settings
from ..github_api.client import GitHubAccess
from ..history.code_context import RepoMirror, extract_contexts
from ..history.comments import CollectedHistory, collect_review_comments
from ..history.feedback import ReactionMemo, gather_feedback
from ..history.pull_chunks import reviewed_pull_chunks
from ..history.window import context_window
from .examples import ExampleSet, build_examples


def examples_from_github(
    access: GitHubAccess, target: ReviewerRepo, settings: Settings, scratch: Path
) -> tuple[ExampleSet, CollectedHistory]:
    history = collect_review_comments(access, target, max_prs=settings.max_prs)
    memo = ReactionMemo.open(settings.reactions_dir / f"{target.key}.json")
    feedback = gather_feedback(access, target.repo, target.reviewer, history.bot_comments, history.comments, memo)
    judged = feedback.judged(history.bot_comments)
    chosen = context_window(
        history.comments, target.reviewer, history.authored_prs, settings.max_context_comments, settings.others_fraction
    )
    wanted = pd.concat([chosen.top_level, judged.drop(columns=["verdict"])], ignore_index=True)
    with RepoMirror(access, parent=scratch) as mirror:
        mirror.fetch_all(history.default_branch, wanted["pull_number"])
        contexts = extract_contexts(
            mirror, wanted, history.pulls, window=settings.context_lines, max_bytes=settings.max_file_bytes
        )
        chunks = reviewed_pull_chunks(
            mirror,
            chosen.reviewed,
            history.default_branch,
            history.pulls,
            window=settings.context_lines,
            max_bytes=settings.max_file_bytes,
        )
        history.stats["history_gaps"] = mirror.gaps()
        mirror.log_gaps()
    examples = build_examples(
        history.comments,
        contexts,
        chunks,
        history.authored_prs,
        target.reviewer,
        target.repo,
        holdout_fraction=settings.holdout_fraction,
        validation_fraction=settings.validation_fraction,
        feedback=judged,
    )
    history.stats["feedback"] = feedback.approval()
    return examples, history
