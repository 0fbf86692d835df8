"""Plain replies on a pull request (refusals, errors), posted at most once per mention."""

from __future__ import annotations

from ..github_api.client import GitHubAccess
from .markers import marker, has_marker


def post_reply(access: GitHubAccess, repo: str, pull_number: int, body: str, mention_id: str | None = None,
               kind: str = "reply") -> bool:
    """Posts `body` as an issue comment; with a mention id, never twice for the same mention.

    Returns whether a comment was posted.
    """
    gh_repo = access.client.get_repo(repo)
    pull = gh_repo.get_pull(pull_number)
    text = body
    if mention_id:
        tag = marker(mention_id, kind)
        if any(has_marker(c.body or "", mention_id, kind) for c in pull.get_issue_comments()):
            return False
        text = f"{body}\n\n{tag}"
    pull.create_issue_comment(text)
    return True
