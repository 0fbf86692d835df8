"""Collects review comments through the repository-wide endpoint (one call per 100 comments,
never one per pull request), newest first, until the reviewer's comments span `max_prs` pull
requests. Keeps every human reviewer's comments: the other reviewers are the contrast that the
evaluation's voice score and baselines need, and cost no extra calls.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd
from github import GithubException, UnknownObjectException

from ..github_api.client import GitHubAccess
from ..github_api.reads import with_transient_retry
from ..partitions import ReviewerRepo
from .checkpoint import CollectionCheckpoint
from .errors import GitHubUnavailableError, NotAReviewerError, UnknownRepositoryError, UnknownReviewerError

log = logging.getLogger(__name__)

COMMENT_COLUMNS = {
    "id": "int64",
    "pull_number": "int64",
    "user": "string",
    "user_type": "string",
    "body": "string",
    "path": "string",
    "commit_id": "string",
    "original_commit_id": "string",
    "diff_hunk": "string",
    "line": "Int64",
    "original_line": "Int64",
    "start_line": "Int64",
    "original_start_line": "Int64",
    "side": "string",
    "start_side": "string",
    "subject_type": "string",
    "in_reply_to_id": "Int64",
    "position": "Int64",
    "original_position": "Int64",
    "pull_request_review_id": "Int64",
    "created_at": "datetime64[ns, UTC]",
    "updated_at": "datetime64[ns, UTC]",
    "html_url": "string",
    "author_association": "string",
}

Progress = Callable[[int, int], None]  # (pages done, comments seen)


@dataclass
class CollectedHistory:
    target: ReviewerRepo
    comments: pd.DataFrame
    authored_prs: list[int]
    default_branch: str
    stats: dict = field(default_factory=dict)

    @property
    def reviewer_comments(self) -> pd.DataFrame:
        return self.comments[self.comments["user"].str.lower() == self.target.reviewer.lower()]


def _row(c) -> dict:
    pr_url = c.pull_request_url or ""
    user = c.user  # None for deleted accounts, which GitHub shows as "ghost"
    return {
        "id": c.id,
        "pull_number": int(pr_url.rstrip("/").rsplit("/", 1)[-1]),
        "user": user.login if user else "ghost",
        "user_type": user.type if user else "User",
        "body": c.body or "",
        "path": c.path,
        "commit_id": c.commit_id,
        "original_commit_id": c.original_commit_id,
        "diff_hunk": c.diff_hunk or "",
        "line": c.line,
        "original_line": c.original_line,
        "start_line": c.start_line,
        "original_start_line": c.original_start_line,
        "side": c.side,
        "start_side": c.start_side,
        "subject_type": c.subject_type or "line",
        "in_reply_to_id": c.in_reply_to_id,
        "position": c.position,
        "original_position": c.original_position,
        "pull_request_review_id": c.pull_request_review_id,
        "created_at": c.created_at.isoformat(),
        "updated_at": c.updated_at.isoformat(),
        "html_url": c.html_url,
        "author_association": getattr(c, "author_association", None),
    }


def comments_frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(COMMENT_COLUMNS))
    for col, dtype in COMMENT_COLUMNS.items():
        if dtype.startswith("datetime"):
            df[col] = pd.to_datetime(df[col], utc=True)
        else:
            df[col] = df[col].astype(dtype)
    return df


def _check_reviewer(access: GitHubAccess, target: ReviewerRepo):
    gh = access.client
    try:
        user = with_transient_retry("looking up the reviewer", lambda: gh.get_user(target.reviewer))
        kind = user.type
    except UnknownObjectException as exc:
        raise UnknownReviewerError(target.reviewer) from exc
    if kind == "Bot" or target.reviewer.lower().endswith("[bot]"):
        raise NotAReviewerError(target.reviewer, "it is a bot account")
    if kind == "Organization":
        raise NotAReviewerError(target.reviewer, "it is an organization, not a person")
    try:
        return with_transient_retry("opening the repository", lambda: gh.get_repo(target.repo))
    except UnknownObjectException as exc:
        raise UnknownRepositoryError(target.repo) from exc


def collect_review_comments(
    access: GitHubAccess,
    target: ReviewerRepo,
    *,
    max_prs: int = 3000,
    checkpoint: CollectionCheckpoint | None = None,
    progress: Progress | None = None,
) -> CollectedHistory:
    started = time.perf_counter()
    repo = _check_reviewer(access, target)
    default_branch = repo.default_branch
    paged = repo.get_pulls_review_comments(sort="created", direction="desc")
    per_page = 100
    done, pages_rows = checkpoint.load() if checkpoint else (0, [])
    resumed_from = done
    rows_by_id: dict[int, dict] = {}
    for page_rows in pages_rows:
        rows_by_id.update((r["id"], r) for r in page_rows)
    reviewer = target.reviewer.lower()
    reviewer_prs: list[int] = []  # distinct PRs in the order first seen (newest first)
    for r in rows_by_id.values():
        if r["user"].lower() == reviewer and r["pull_number"] not in reviewer_prs:
            reviewer_prs.append(r["pull_number"])
    page = done
    stopped = "end of history"
    api_calls = 2  # the user and repository look-ups
    while len(reviewer_prs) < max_prs:
        try:
            items = with_transient_retry(f"reading page {page + 1} of review comments", lambda: paged.get_page(page))
        except GithubException as exc:
            raise GitHubUnavailableError("reading review comments", f"HTTP {exc.status}") from exc
        api_calls += 1
        if not items:
            break
        page_rows = [_row(c) for c in items]
        page += 1
        if checkpoint:
            checkpoint.save_page(page, page_rows)
        for r in page_rows:
            rows_by_id[r["id"]] = r
            if r["user"].lower() == reviewer and r["pull_number"] not in reviewer_prs:
                reviewer_prs.append(r["pull_number"])
        if progress:
            progress(page, len(rows_by_id))
        if len(items) < per_page:
            break
    else:
        stopped = f"reached the cap of {max_prs} pull requests"
    kept_prs = set(reviewer_prs[:max_prs])
    rows = [
        r
        for r in rows_by_id.values()
        if r["user_type"] != "Bot"
        and not r["user"].endswith("[bot]")
        and (r["user"].lower() != reviewer or r["pull_number"] in kept_prs)
    ]
    if len(reviewer_prs) > max_prs:
        stopped = f"reached the cap of {max_prs} pull requests"
    comments = comments_frame(rows).sort_values(["created_at", "id"], ascending=[False, False], ignore_index=True)
    authored = _authored_prs(access, target)
    api_calls += max(1, (len(authored) + 99) // 100)
    if checkpoint:
        checkpoint.clear()
    stats = {
        "pages": page,
        "resumed_from_page": resumed_from,
        "api_calls": api_calls,
        "comments_seen": len(rows_by_id),
        "human_comments": len(comments),
        "reviewer_comments": int((comments["user"].str.lower() == reviewer).sum()),
        "reviewer_prs": len(kept_prs),
        "stopped": stopped,
        "seconds": round(time.perf_counter() - started, 3),
    }
    return CollectedHistory(target, comments, authored, default_branch, stats)


def _authored_prs(access: GitHubAccess, target: ReviewerRepo) -> list[int]:
    """Pull requests the reviewer opened: their comments there explain, they do not review."""
    query = f"repo:{target.repo} is:pr author:{target.reviewer}"
    try:
        return with_transient_retry(
            "searching the reviewer's own pull requests",
            lambda: sorted(i.number for i in access.client.search_issues(query)),
        )
    except GithubException as exc:
        raise GitHubUnavailableError("searching pull requests", f"HTTP {exc.status}") from exc
