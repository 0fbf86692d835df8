"""Posting one pull-request review: all comments, on the head commit, with a summary that names
whose style it imitates and a hidden marker of the mention that asked for it.

Idempotent: a review carrying the mention's marker means the work is done. A comment GitHub
refuses (422) does not sink the others: the review is retried without it, and the summary says so.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from github import GithubException

from ..github_api.client import GitHubAccess
from ..github_api.writes import write_once
from .anchors import Anchor
from .markers import has_marker, marker

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 4


@dataclass
class DraftComment:
    anchor: Anchor
    body: str

    def payload(self) -> dict:
        return self.anchor.as_review_comment(self.body)


@dataclass
class PostedReview:
    review_id: int | None
    html_url: str | None
    posted: list[DraftComment] = field(default_factory=list)
    rejected: list[DraftComment] = field(default_factory=list)
    already_posted: bool = False


def find_existing_review(pr, mention_id: str) -> object | None:
    for review in pr.get_reviews():
        if has_marker(review.body or "", mention_id, "review"):
            return review
    return None


def _rejected_indices(exc: GithubException, count: int) -> set[int]:
    """Which comments GitHub named in its 422 (`comments[3]`, or a path:line it quoted)."""
    text = str(exc.data) if exc.data else str(exc)
    return {int(i) for i in re.findall(r"comments\[(\d+)\]", text) if int(i) < count}


def post_review(
    access: GitHubAccess,
    repo_name: str,
    number: int,
    head_sha: str,
    comments: list[DraftComment],
    summary: str,
    mention_id: str,
) -> PostedReview:
    repo = access.client.get_repo(repo_name, lazy=True)
    pr = repo.get_pull(number)
    existing = find_existing_review(pr, mention_id)
    if existing is not None:
        return PostedReview(existing.id, existing.html_url, already_posted=True)
    commit = repo.get_commit(head_sha)
    pending = list(comments)
    rejected: list[DraftComment] = []
    backoff = access.settings.retry_backoff
    for attempt in range(MAX_ATTEMPTS):
        body = _summary(summary, rejected, mention_id)
        try:
            review = write_once(
                f"posting the review on #{number}",
                lambda: pr.create_review(
                    commit=commit, body=body, event="COMMENT", comments=[c.payload() for c in pending]
                ),
                lambda: find_existing_review(pr, mention_id),
                backoff=backoff,
                budget=access.write_budget,
            )
            return PostedReview(review.id, review.html_url, pending, rejected)
        except GithubException as exc:
            if exc.status != 422 or not pending:
                raise
            bad = _rejected_indices(exc, len(pending))
            if not bad or attempt == MAX_ATTEMPTS - 2:
                bad = set(range(len(pending)))  # cannot tell which: keep the summary, drop the inline comments
            log.warning("GitHub refused %d of %d review comments; retrying without them", len(bad), len(pending))
            rejected += [c for i, c in enumerate(pending) if i in bad]
            pending = [c for i, c in enumerate(pending) if i not in bad]
    raise RuntimeError("could not post the review")  # unreachable: the last attempt posts no inline comments


def _summary(summary: str, rejected: list[DraftComment], mention_id: str) -> str:
    parts = [summary]
    if rejected:
        where = ", ".join(f"`{c.anchor.path}:{c.anchor.line}`" for c in rejected[:10])
        parts.append(
            f"GitHub refused {len(rejected)} comment{'s' if len(rejected) != 1 else ''} "
            f"(no longer part of the diff?): {where}."
        )
    parts.append(marker(mention_id, "review"))
    return "\n\n".join(parts)
