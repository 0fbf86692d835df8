"""Plain replies on a pull request (refusals, errors), posted at most once per mention."""

from __future__ import annotations

from ..github_api.client import GitHubAccess
from ..github_api.writes import write_once
from .markers import has_marker, marker


def post_reply(access: GitHubAccess, repo: str, pull_number: int, body: str, mention_id: str | None = None,
               kind: str = "reply") -> bool:
    """Posts `body` as an issue comment; with a mention id, never twice for the same mention.

    Returns whether a comment was posted.
    """
    gh_repo = access.client.get_repo(repo)
    pull = gh_repo.get_pull(pull_number)

    def existing():
        return next((c for c in pull.get_issue_comments() if has_marker(c.body or "", mention_id, kind)), None)

    text = body
    if mention_id:
        if existing() is not None:
            return False
        text = f"{body}\n\n{marker(mention_id, kind)}"
    write_once(f"replying on #{pull_number}", lambda: pull.create_issue_comment(text),
               existing if mention_id else None, backoff=access.settings.retry_backoff)
    return True
