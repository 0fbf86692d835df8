"""Plain replies on a pull request or issue (refusals, errors), posted at most once per mention."""

from __future__ import annotations

from ..github_api.client import GitHubAccess
from ..github_api.writes import write_once
from .markers import has_marker, marker


def post_reply(
    access: GitHubAccess, repo: str, number: int, body: str, mention_id: str | None = None, kind: str = "reply"
) -> bool:
    """Posts `body` as an issue comment; with a mention id, never twice for the same mention.

    Returns whether a comment was posted.
    """
    issue = access.client.get_repo(repo, lazy=True).get_issue(number)  # pull requests are issues too

    def existing():
        return next((c for c in issue.get_comments() if has_marker(c.body or "", mention_id, kind)), None)

    text = body
    if mention_id:
        if existing() is not None:
            return False
        text = f"{body}\n\n{marker(mention_id, kind)}"
    write_once(
        f"replying on #{number}",
        lambda: issue.create_comment(text),
        existing if mention_id else None,
        backoff=access.settings.retry_backoff,
        budget=access.write_budget,
    )
    return True
