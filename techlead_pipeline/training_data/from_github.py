"""History to examples in one call, for tools that run outside Dagster (tests, benchmarks, the
evaluation of real data). The assets run the same steps one per asset."""

from __future__ import annotations

from pathlib import Path

from ..github_api.client import GitHubAccess
from ..history.code_context import RepoMirror, extract_contexts
from ..history.comments import CollectedHistory, collect_review_comments
from ..history.pull_chunks import reviewed_pull_chunks
from ..partitions import ReviewerRepo
from ..settings import Settings
from .examples import ExampleSet, build_examples


def examples_from_github(
    access: GitHubAccess, target: ReviewerRepo, settings: Settings, scratch: Path
) -> tuple[ExampleSet, CollectedHistory]:
    history = collect_review_comments(access, target, max_prs=settings.max_prs)
    top_level = history.comments[history.comments["in_reply_to_id"].isna()]
    reviewed = top_level[
        (top_level["user"].str.lower() == target.reviewer.lower())
        & ~top_level["pull_number"].isin(history.authored_prs)
    ]
    with RepoMirror(access, parent=scratch) as mirror:
        mirror.fetch_all()
        contexts = extract_contexts(
            mirror, top_level, history.pulls, window=settings.context_lines, max_bytes=settings.max_file_bytes
        )
        chunks = reviewed_pull_chunks(
            mirror,
            reviewed,
            history.default_branch,
            history.pulls,
            window=settings.context_lines,
            max_bytes=settings.max_file_bytes,
        )
    examples = build_examples(
        history.comments,
        contexts,
        chunks,
        history.authored_prs,
        target.reviewer,
        target.repo,
        holdout_fraction=settings.holdout_fraction,
        validation_fraction=settings.validation_fraction,
    )
    return examples, history
