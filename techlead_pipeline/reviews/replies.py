"""Plain replies on a pull request or issue (refusals, errors), posted at most once per mention."""

from __future__ import annotations

from ..common.safe_markdown import safe_body
from ..github_api.client import GitHubAccess
from ..github_api.writes import write_once
from .markers import has_marker, marker


def find_existing_reply(access: GitHubAccess, repo: str, number: int, mention_id: str, kind: str) -> dict | None:
    """The bot's own comment answering `mention_id` (a marker in anybody else's comment means nothing)."""
    me = access.own_login.lower()
    for page in access.rest.pages(f"/repos/{repo}/issues/{number}/comments", f"reading the comments of #{number}"):
        for comment in page:
            author = ((comment.get("user") or {}).get("login") or "").lower()
            if author == me and has_marker(comment.get("body") or "", mention_id, kind):
                return comment
    return None


def post_reply(
    access: GitHubAccess,
    repo: str,
    number: int,
    body: str,
    mention_id: str | None = None,
    kind: str = "reply",
    look_first: bool = True,
) -> bool:
    """Posts `body` as an issue comment (pull requests are issues too); with a mention id, never twice
    for the same mention. `look_first=False`: the caller holds a fresh claim on this answer
    (mentions/claims.py), so reading the conversation for an earlier one is not needed (it still is
    before a retry). Returns whether a comment was posted."""

    def existing():
        return find_existing_reply(access, repo, number, mention_id, kind) if mention_id else None

    if mention_id and look_first and existing() is not None:
        return False
    text = safe_body(body, marker(mention_id, kind) if mention_id else "")
    write_once(
        f"replying on #{number}",
        lambda: access.rest.post(f"/repos/{repo}/issues/{number}/comments", {"body": text}),
        existing if mention_id else None,
        backoff=access.settings.retry_backoff,
        budget=access.write_budget,
    )
    return True
