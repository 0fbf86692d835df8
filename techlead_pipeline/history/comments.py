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

from ..common.errors import GitHubUnavailableError, NotAReviewerError, UnknownRepositoryError, UnknownReviewerError
from ..common.partitions import ReviewerRepo
from ..github_api.client import GitHubAccess
from ..github_api.rest import login_of
from .checkpoint import CollectionCheckpoint

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
    "reactions_up": "int64",  # GitHub's roll-up: how many 👍 and 👎 (who reacted is not on the page)
    "reactions_down": "int64",
}

Progress = Callable[[int, int], None]  # (pages done, comments seen)


@dataclass
class CollectedHistory:
    target: ReviewerRepo
    comments: pd.DataFrame
    authored_prs: list[int]
    default_branch: str
    stats: dict = field(default_factory=dict)
    pulls: dict[int, dict] = field(default_factory=dict)  # number -> base_sha, base_ref, head_sha
    bot_comments: pd.DataFrame | None = None  # the bot's own comments (feedback.py reads the lead's verdicts)

    @property
    def reviewer_comments(self) -> pd.DataFrame:
        return self.comments[self.comments["user"].str.lower() == self.target.reviewer.lower()]


def _int(value) -> int | None:
    return None if value is None else int(value)


def _row(c: dict) -> dict:
    """One review comment as GitHub sent it: every optional field may be absent (never fetched again)."""
    user = c.get("user")  # null for deleted accounts, which GitHub shows as "ghost"
    return {
        "id": int(c["id"]),
        "pull_number": int(c["pull_request_url"].rstrip("/").rsplit("/", 1)[-1]),
        "user": login_of(user),
        "user_type": (user or {}).get("type") or "User",
        "body": c.get("body") or "",
        "path": c["path"],
        "commit_id": c["commit_id"],
        "original_commit_id": c.get("original_commit_id") or c["commit_id"],
        "diff_hunk": c.get("diff_hunk") or "",
        "line": _int(c.get("line")),
        "original_line": _int(c.get("original_line")),
        "start_line": _int(c.get("start_line")),
        "original_start_line": _int(c.get("original_start_line")),
        "side": c.get("side"),
        "start_side": c.get("start_side"),
        "subject_type": c.get("subject_type") or "line",
        "in_reply_to_id": _int(c.get("in_reply_to_id")),
        "position": _int(c.get("position")),
        "original_position": _int(c.get("original_position")),
        "pull_request_review_id": _int(c.get("pull_request_review_id")),
        "created_at": c["created_at"],
        "updated_at": c.get("updated_at") or c["created_at"],
        "html_url": c.get("html_url"),
        "author_association": c.get("author_association"),
        "reactions_up": int((c.get("reactions") or {}).get("+1") or 0),
        "reactions_down": int((c.get("reactions") or {}).get("-1") or 0),
    }


def comments_frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(COMMENT_COLUMNS))
    df[["reactions_up", "reactions_down"]] = df[["reactions_up", "reactions_down"]].fillna(0)  # older checkpoints
    for col, dtype in COMMENT_COLUMNS.items():
        if dtype.startswith("datetime"):
            df[col] = pd.to_datetime(df[col], utc=True)
        else:
            df[col] = df[col].astype(dtype)
    return df


def _check_reviewer(access: GitHubAccess, target: ReviewerRepo) -> dict:
    """The repository's JSON, once the reviewer is known to be a person."""
    rest = access.rest
    try:
        kind = rest.get(f"/users/{target.reviewer}", "looking up the reviewer").get("type")
    except UnknownObjectException as exc:
        raise UnknownReviewerError(target.reviewer) from exc
    if kind == "Bot" or target.reviewer.lower().endswith("[bot]"):
        raise NotAReviewerError(target.reviewer, "it is a bot account")
    if kind == "Organization":
        raise NotAReviewerError(target.reviewer, "it is an organization, not a person")
    try:
        return rest.get(f"/repos/{target.repo}", "opening the repository")
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
    default_branch = repo.get("default_branch") or "main"
    done, pages_rows, next_url = checkpoint.load() if checkpoint else (0, [], None)
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
    # The first page by path and query; every later one by GitHub's own `next` link (a short page
    # is not the last one: GitHub may filter a page after cutting it).
    url, query = (
        (next_url, None) if done else (f"/repos/{target.repo}/pulls/comments", {"sort": "created", "direction": "desc"})
    )
    while len(reviewer_prs) < max_prs:
        try:
            items, next_url = access.rest.page_at(url, f"reading page {page + 1} of review comments", query)
        except GithubException as exc:
            raise GitHubUnavailableError("reading review comments", f"HTTP {exc.status}") from exc
        api_calls += 1
        page_rows = [_row(c) for c in items]
        page += 1
        if checkpoint and next_url:
            checkpoint.save_page(page, page_rows, next_url)
        for r in page_rows:
            rows_by_id[r["id"]] = r
            if r["user"].lower() == reviewer and r["pull_number"] not in reviewer_prs:
                reviewer_prs.append(r["pull_number"])
        if progress:
            progress(page, len(rows_by_id))
        if not next_url:
            break
        url, query = next_url, None
    else:
        stopped = f"reached the cap of {max_prs} pull requests"
    kept_prs = set(reviewer_prs[:max_prs])
    me = access.settings.bot_login.lower()  # the configured name: no request to ask who we are
    own = [r for r in rows_by_id.values() if r["user"].lower() in (me, f"{me}[bot]")]
    rows = [
        r
        for r in rows_by_id.values()
        if r["user_type"] != "Bot"
        and not r["user"].endswith("[bot]")
        and r["user"].lower() != me  # the bot itself (a user account in token mode) reviews nobody
        and (r["user"].lower() != reviewer or r["pull_number"] in kept_prs)
    ]
    if len(reviewer_prs) > max_prs:
        stopped = f"reached the cap of {max_prs} pull requests"
    comments = comments_frame(rows).sort_values(["created_at", "id"], ascending=[False, False], ignore_index=True)
    pulls, pull_pages = pull_request_refs(access, target.repo, set(comments["pull_number"].astype(int)))
    api_calls += pull_pages
    # Pull requests the reviewer opened (their comments there explain, they do not review): read
    # from the same list, not from search, which stops at 1,000 results and lags behind.
    authored = sorted(n for n, ref in pulls.items() if ref["author"].lower() == reviewer)
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
    return CollectedHistory(target, comments, authored, default_branch, stats, pulls, comments_frame(own))


def pull_request_refs(access: GitHubAccess, repo: str, wanted: set[int]) -> tuple[dict[int, dict], int]:
    """Base and head of the pull requests in `wanted`, from the pull-request list (newest first,
    100 a page, until the oldest wanted one is seen), and the requests it took. The base SHA is what
    GitHub diffs a pull request against: a PR may target any branch, not only the default one."""
    refs: dict[int, dict] = {}
    pages = 0
    if not wanted:
        return refs, pages
    oldest = min(wanted)
    try:
        for items in access.rest.pages(
            f"/repos/{repo}/pulls",
            "listing pull requests",
            {"state": "all", "sort": "created", "direction": "desc"},
        ):
            pages += 1
            for pr in items:
                if int(pr["number"]) in wanted:
                    refs[int(pr["number"])] = {
                        "base_sha": pr["base"]["sha"],
                        "base_ref": pr["base"]["ref"],
                        "head_sha": pr["head"]["sha"],
                        "author": login_of(pr.get("user")),
                    }
            if len(refs) == len(wanted) or any(int(pr["number"]) <= oldest for pr in items):
                break
    except GithubException as exc:
        raise GitHubUnavailableError("listing pull requests", f"HTTP {exc.status}") from exc
    return refs, pages
