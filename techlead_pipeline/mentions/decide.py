"""What to do about one new comment: nothing, a reply, or a run (review, with training first when
no adapter is cached or `--force-reload` asks for it). Pure logic: GitHub look-ups are passed in."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from ..common.partitions import InvalidNameError, ReviewerRepo, reviewer_repo
from ..common.safe_markdown import code_span
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
    full: bool = False  # review every hunk (`--full`), not only what changed since the last review
    source: str = "issue"  # issue (a conversation comment), rc (an inline review comment), review (a review's body)
    ask: str = ""  # what the comment asks, normalised (ask_of): part of the mention's name

    @property
    def mention_id(self) -> str:
        """Names the mention in run keys and reply markers: the comment (the same whether a webhook or
        a poll brought it; review comments and reviews, which have their own id spaces, say which
        they are) and what it asks. A comment read again, or edited without changing its ask, has the
        same name, so it starts nothing new; an edit that asks for someone else, or adds
        `--force-reload`, is a new mention with its own run and reply."""
        comment = str(self.comment_id) if self.source == "issue" else f"{self.source}-{self.comment_id}"
        return mention_name(comment, self.ask)


def mention_name(comment: str, ask: str) -> str:
    return f"{comment}.{hashlib.sha256(ask.encode()).hexdigest()[:8]}"


def ask_of(command: MentionCommand | MalformedMention) -> str:
    """The ask, normalised: logins are case-insensitive, and every spelling of the flag is one flag."""
    if isinstance(command, MalformedMention):
        return f"malformed: {command.message}"
    return (
        command.reviewer.lower()
        + (" --force-reload" if command.force_reload else "")
        + (" --full" if command.full else "")
    )


def issue_number_of(comment: dict) -> int:
    """The issue (or pull request: every pull request is an issue) a conversation comment is on."""
    return int(comment["issue_url"].rstrip("/").rsplit("/", 1)[-1])


def pull_number_of(comment: dict, issue: dict | None = None) -> int | None:
    """The pull request a conversation comment belongs to, None for a plain issue. A webhook's
    `issue` says it with its `pull_request` key; a polled comment only by its page's address,
    `.../pull/N`, read from the end (an owner or repository may well be called `pull`)."""
    number = issue_number_of(comment)
    if issue is not None:
        return number if issue.get("pull_request") else None
    segments = urlsplit(comment.get("html_url") or "").path.rstrip("/").split("/")
    return number if segments[-2:] == ["pull", str(number)] else None


def decide_mention(
    comment: dict,
    repo: str,
    bot_login: str,
    *,
    permission_of: Callable[[str], str],
    user_exists: Callable[[str], bool],
    is_cached: Callable[[ReviewerRepo], bool],
    issue: dict | None = None,
    source: str = "issue",
) -> MentionWork:
    """`issue` is the webhook payload's issue, when there is one (it says whether it is a pull request);
    `source` which kind of comment this is (MentionWork.source)."""
    commenter = (comment.get("user") or {}).get("login") or "ghost"
    base = dict(
        comment_id=int(comment["id"]),
        repo=repo,
        pull_number=pull_number_of(comment, issue),
        commenter=commenter,
        source=source,
    )
    if comment.get("user") is None or commenter.lower() in (bot_login.lower(), f"{bot_login.lower()}[bot]"):
        return MentionWork("ignore", **base)  # the bot itself, or an account deleted since
    command = parse_mention(comment.get("body"), bot_login)
    if command is None:
        return MentionWork("ignore", **base)
    base["ask"] = ask_of(command)
    if permission_of(commenter) not in WRITE_PERMISSIONS:  # before anything else is said
        return MentionWork(
            "reply",
            **base,
            reply=(
                f"Sorry {code_span(commenter)}, only collaborators with write access to {code_span(repo)} "
                "can ask me for a review."
            ),
        )
    if base["pull_number"] is None:
        return MentionWork("reply", **base, reply="I review pull requests: please mention me on one.")
    if isinstance(command, MalformedMention):
        return MentionWork("reply", **base, reply=command.message)
    assert isinstance(command, MentionCommand)
    try:
        target = reviewer_repo(command.reviewer, repo)
    except InvalidNameError as exc:
        return MentionWork("reply", **base, reply=f"{exc}.")
    if target.reviewer.lower() in (bot_login.lower(), f"{bot_login.lower()}[bot]"):
        return MentionWork(
            "reply", **base, reply="I learn how a person reviews; name a collaborator, not me (`USERNAME`)."
        )
    if not user_exists(target.reviewer):
        return MentionWork(
            "reply",
            **base,
            reply=(f"I can't find a GitHub user called {code_span(target.reviewer)}. Check the spelling of the login."),
        )
    train = command.force_reload or not is_cached(target)
    return MentionWork("run", **base, target=target, train=train, force_reload=command.force_reload, full=command.full)
