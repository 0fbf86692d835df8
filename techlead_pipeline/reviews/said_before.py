"""What the bot already said on a pull request, so that no review says it again.

Before a review is posted, the bot's own earlier review comments on the pull request are read
(one listing, `GET /pulls/{n}/comments`). A draft is dropped when:

* an earlier comment of the bot sits at the same (path, side, line) and says the same thing, once
  both are normalised (case, spacing, punctuation and markdown escapes folded) — however long ago,
  outdated or not;
* the bot's thread on that line is still open: an earlier top-level comment of the bot anchored at
  the same (path, side, line) of the current diff. GitHub's REST API does not say whether a thread
  was resolved (only GraphQL does); a comment GitHub still places on a line of the diff (its `line`
  is set, not outdated) is taken for an open thread, and one left on a line that has since changed
  (outdated: `line` is null) for a closed one.

What is dropped is counted for the review's summary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..common.invisible_text import without_invisible
from ..github_api.client import GitHubAccess
from ..github_api.rest import login_of

_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>~|$&])")
_MARKER = re.compile(r"<!--.*?-->", re.S)


def normalised(text: str) -> str:
    """A comment's words as a reader compares them: no markers, escapes, case or punctuation runs."""
    from .repeats import without_places

    text = _ESCAPE.sub(r"\1", _MARKER.sub(" ", without_invisible(without_places(text or ""))))
    text = re.sub(r"[^\w`]+", " ", text.lower())
    return " ".join(text.split())


@dataclass(frozen=True)
class EarlierComment:
    path: str
    side: str
    line: int | None  # None: outdated (the line changed since)
    original_line: int | None
    text: str  # normalised
    in_reply_to: int | None = None


@dataclass
class SaidBefore:
    comments: list[EarlierComment] = field(default_factory=list)

    @staticmethod
    def _same_place(c: EarlierComment, path: str, side: str, line: int) -> bool:
        """At the same (path, side, line): where GitHub places it now, or, outdated, where it was put."""
        return (c.path, c.side) == (path, side) and line == (c.line if c.line is not None else c.original_line)

    def repeats(self, path: str, side: str, line: int, body: str) -> bool:
        said = normalised(body)
        return any(self._same_place(c, path, side, line) and c.text == said for c in self.comments)

    def open_thread(self, path: str, side: str, line: int) -> bool:
        return any(
            c.in_reply_to is None and c.line is not None and (c.path, c.side, c.line) == (path, side, line)
            for c in self.comments
        )

    def why_dropped(self, path: str, side: str, line: int, body: str) -> str | None:
        if self.repeats(path, side, line, body):
            return "said before"
        if self.open_thread(path, side, line):
            return "open thread"
        return None


def earlier_bot_comments(access: GitHubAccess, repo: str, number: int) -> SaidBefore:
    """The bot's own review comments on pull request `number` (one paginated listing)."""
    me = access.own_login.lower()
    said = SaidBefore()
    for page in access.rest.pages(f"/repos/{repo}/pulls/{number}/comments", f"reading the comments on #{number}"):
        for c in page:
            if login_of(c.get("user")).lower() != me:
                continue
            said.comments.append(
                EarlierComment(
                    c.get("path") or "",
                    c.get("side") or "RIGHT",
                    c.get("line"),
                    c.get("original_line"),
                    normalised(c.get("body") or ""),
                    c.get("in_reply_to_id"),
                )
            )
    return said
