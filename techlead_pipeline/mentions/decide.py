"""What to do about one new comment: nothing, a reply, or a run (review, with training first when
no adapter is cached or `--force-reload` asks for it). Pure logic: GitHub look-ups are passed in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..partitions import InvalidNameError, ReviewerRepo, reviewer_repo
from .parse import MalformedMention, MentionCommand, parse_mention

WRITE_PERMISSIONS = {"admin", "maintain", "write"}


@dataclass(frozen=True)
class MentionWork:
    kind: str  # "ignore", "reply" or "run"
    comment_id: int
    repo: str
    pull_number: int | None
    commenter: str
    reply: str | None = None
    target: ReviewerRepo | None = None
    train: bool = False
    force_reload: bool = False


def pull_number_of(comment: dict) -> int | None:
    """The pull request a conversation comment belongs to (None for a plain issue)."""
    html = comment.get("html_url") or ""
    if "/pull/" not in html:
        return None
    return int(html.split("/pull/")[1].split("#")[0].split("/")[0])


def decide_mention(
    comment: dict,
    repo: str,
    bot_login: str,
    *,
    permission_of: Callable[[str], str],
    user_exists: Callable[[str], bool],
    is_cached: Callable[[ReviewerRepo], bool],
) -> MentionWork:
    commenter = (comment.get("user") or {}).get("login", "ghost")
    base = dict(comment_id=int(comment["id"]), repo=repo, pull_number=pull_number_of(comment), commenter=commenter)
    if commenter.lower() in (bot_login.lower(), f"{bot_login.lower()}[bot]"):
        return MentionWork("ignore", **base)
    command = parse_mention(comment.get("body"), bot_login)
    if command is None:
        return MentionWork("ignore", **base)
    if base["pull_number"] is None:
        return MentionWork("reply", **base, reply="I review pull requests: please mention me on one.")
    if permission_of(commenter) not in WRITE_PERMISSIONS:
        return MentionWork(
            "reply",
            **base,
            reply=(f"Sorry `{commenter}`, only collaborators with write access to {repo} can ask me for a review."),
        )
    if isinstance(command, MalformedMention):
        return MentionWork("reply", **base, reply=command.message)
    assert isinstance(command, MentionCommand)
    try:
        target = reviewer_repo(command.reviewer, repo)
    except InvalidNameError as exc:
        return MentionWork("reply", **base, reply=f"{exc}.")
    if not user_exists(target.reviewer):
        return MentionWork(
            "reply",
            **base,
            reply=(f"I can't find a GitHub user called `{target.reviewer}`. Check the spelling of the login."),
        )
    train = command.force_reload or not is_cached(target)
    return MentionWork("run", **base, target=target, train=train, force_reload=command.force_reload)
