"""Posting one pull-request review: all comments, on the head commit, with a summary that names
whose style it imitates and a hidden marker of the mention that asked for it.

Idempotent: a review by the bot itself carrying the mention's marker means the work is done (a
marker in anybody else's text means nothing). GitHub creates a review all or nothing, and its 422
does not say which comment it refused, so a refusal is worked out rather than read: the pull
request's files are read again and what is no longer in its diff is dropped (the head may have
moved, and the review then goes on the new head); if GitHub still refuses, the comments are
bisected with PENDING reviews, which only the bot sees and which are deleted at once. Whatever is
refused is named in the summary; the rest is posted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

from github import GithubException

from ..common.safe_markdown import code_span, safe_body
from ..diffs.patch import parse_pull_files
from ..github_api.client import GitHubAccess
from ..github_api.writes import write_once
from .anchors import Anchor, commentable
from .markers import has_marker, marker, voice_marker

log = logging.getLogger(__name__)


@dataclass
class DraftComment:
    anchor: Anchor
    body: str
    confidence: float | None = None  # how sure the backend is that this deserves a comment (ranks the cap)
    voice: str | None = None  # whose voice: marked, hidden, at the end of the posted comment (feedback)
    key: str | None = None  # the retrieval key of the code it sits on (reviews/lessons.py); never posted

    def payload(self) -> dict:
        body = f"{self.body}\n\n{voice_marker(self.voice)}" if self.voice else self.body
        return self.anchor.as_review_comment(body)


@dataclass
class PostedReview:
    review_id: int | None
    html_url: str | None
    posted: list[DraftComment] = field(default_factory=list)
    rejected: list[DraftComment] = field(default_factory=list)
    already_posted: bool = False
    commit_id: str | None = None


def pull_reviews(access: GitHubAccess, repo: str, number: int) -> list[dict]:
    """Every review on the pull request, oldest first (one paginated listing)."""
    pages = access.rest.pages(f"/repos/{repo}/pulls/{number}/reviews", f"reading the reviews of #{number}")
    return [review for page in pages for review in page]


def own_review_for(reviews: list[dict], own_login: str, mention_id: str) -> dict | None:
    """The bot's own review answering `mention_id` among `reviews` (a marker in anybody else's means nothing)."""
    me = own_login.lower()
    for review in reviews:
        author = ((review.get("user") or {}).get("login") or "").lower()
        if author == me and has_marker(review.get("body") or "", mention_id, "review"):
            return review
    return None


def find_existing_review(access: GitHubAccess, repo: str, number: int, mention_id: str) -> dict | None:
    """The bot's own review answering `mention_id`, if it was posted already."""
    return own_review_for(pull_reviews(access, repo, number), access.own_login, mention_id)


def current_anchors(access: GitHubAccess, repo: str, number: int) -> tuple[str, set[tuple[str, str, int]]]:
    """The pull request's head now, and every (path, side, line) its diff lets a comment sit on."""
    rest = access.rest
    head = rest.get(f"/repos/{repo}/pulls/{number}", f"reading pull request #{number}")["head"]["sha"]
    files = [f for page in rest.pages(f"/repos/{repo}/pulls/{number}/files", "listing changed files") for f in page]
    return head, commentable(parse_pull_files(files))


def _refused(exc: Exception) -> bool:
    return isinstance(exc, GithubException) and exc.status == 422


class _Poster:
    def __init__(self, access: GitHubAccess, repo: str, number: int, mention_id: str):
        self.access, self.repo, self.number, self.mention_id = access, repo, number, mention_id
        self.path = f"/repos/{repo}/pulls/{number}/reviews"

    def submit(self, commit: str, body: str, comments: list[DraftComment]) -> dict:
        return write_once(
            f"posting the review on #{self.number}",
            lambda: self.access.rest.post(
                self.path,
                {"commit_id": commit, "body": body, "event": "COMMENT", "comments": [c.payload() for c in comments]},
            ),
            lambda: find_existing_review(self.access, self.repo, self.number, self.mention_id),
            backoff=self.access.settings.retry_backoff,
            budget=self.access.write_budget,
        )

    def accepted(self, commit: str, comments: list[DraftComment]) -> bool:
        """Would GitHub place these comments? Asked with a PENDING review (seen by the bot alone), deleted at once."""
        self.access.write_budget.acquire()
        try:
            review = self.access.rest.post(
                self.path, {"commit_id": commit, "comments": [c.payload() for c in comments]}
            )
        except GithubException as exc:
            if _refused(exc) and "pending review" in str(exc.data):
                self.delete_own_pending()
                return self.accepted(commit, comments)
            if _refused(exc):
                return False
            raise
        self.access.rest.delete(f"{self.path}/{review['id']}")
        return True

    def delete_own_pending(self) -> None:
        me = self.access.own_login.lower()
        for page in self.access.rest.pages(self.path, "reading pending reviews"):
            for review in page:
                if review.get("state") == "PENDING" and ((review.get("user") or {}).get("login") or "").lower() == me:
                    self.access.rest.delete(f"{self.path}/{review['id']}")

    def bisect(self, commit: str, comments: list[DraftComment]) -> list[DraftComment]:
        """The comments GitHub refuses, found by halving."""
        if not comments or self.accepted(commit, comments):
            return []
        if len(comments) == 1:
            return list(comments)
        half = len(comments) // 2
        return self.bisect(commit, comments[:half]) + self.bisect(commit, comments[half:])


def post_review(
    access: GitHubAccess,
    repo_name: str,
    number: int,
    head_sha: str,
    comments: list[DraftComment],
    summary: str,
    mention_id: str,
    anchors_now: Callable[[], tuple[str, set]] | None = None,
) -> PostedReview:
    existing = find_existing_review(access, repo_name, number, mention_id)
    if existing is not None:
        return PostedReview(existing["id"], existing.get("html_url"), already_posted=True)
    poster = _Poster(access, repo_name, number, mention_id)
    anchors_now = anchors_now or (lambda: current_anchors(access, repo_name, number))
    commit, pending, rejected = head_sha, list(comments), []
    for step in ("as prepared", "against the files now", "bisected"):
        try:
            review = poster.submit(commit, _summary(summary, rejected, mention_id), pending)
            return PostedReview(review["id"], review.get("html_url"), pending, rejected, commit_id=commit)
        except GithubException as exc:
            if not _refused(exc) or not pending:
                raise
            log.warning("GitHub refused the review on #%s %s: %s", number, step, exc.data)
        if step == "as prepared":
            commit, valid = anchors_now()
            bad = [c for c in pending if (c.anchor.path, c.anchor.side, c.anchor.line) not in valid]
        else:
            bad = poster.bisect(commit, pending)
        rejected += bad
        pending = [c for c in pending if c not in bad]
    review = poster.submit(commit, _summary(summary, rejected + pending, mention_id), [])
    return PostedReview(review["id"], review.get("html_url"), [], rejected + pending, commit_id=commit)


def _summary(summary: str, rejected: list[DraftComment], mention_id: str) -> str:
    parts = [summary]
    if rejected:
        where = ", ".join(code_span(f"{c.anchor.path}:{c.anchor.line}") for c in rejected[:10])
        parts.append(
            f"GitHub refused {len(rejected)} comment{'s' if len(rejected) != 1 else ''} "
            f"(no longer part of the diff?): {where}."
        )
    return safe_body("\n\n".join(parts), marker(mention_id, "review"))
