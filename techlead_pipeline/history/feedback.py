"""The lead's reactions to the bot's own comments: the best evidence of what she would say.

The repository-wide review-comment pages that collection reads anyway carry the bot's comments too
(history/comments.py keeps them apart).
Each comment the bot posts ends with a hidden marker naming whose voice it was written in
(`reviews/markers.py`), so its comments for this (reviewer, repository) are told from those for other
reviewers at no cost. Every comment carries GitHub's reaction roll-up (counts only); who reacted
takes one request per comment, made only for the bot's comments that have a 👍 or 👎 at all, and only
when its 👍/👎 counts differ from the last time they were read (`ReactionMemo`): a retrain with no new
reactions asks nothing. (One person's 👍 swapped for another's at equal counts goes unseen until the
counts next change.) The lead's replies (`in_reply_to_id`) are on the same pages.

A comment's verdict, the lead's only: her 👎 or a reply that disagrees makes it `negative` (the
hunk becomes a silence example at the next training); her 👍 or a reply that agrees, and no 👎,
`positive` (the comment becomes an example of hers). Anybody else's reactions are counted for the
report and never trained on.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
from github import GithubException

from ..common.invisible_text import without_invisible
from ..common.private_files import write_private
from ..github_api.client import GitHubAccess
from ..github_api.rest import login_of
from ..reviews.markers import voice_of

# A reply that says the comment was wrong or not wanted; one that says it was right or acted on.
_DISAGREES = re.compile(
    r"\b(disagree|not (?:needed|necessary|an issue|a problem|relevant|true|correct)|no need|wrong|incorrect|"
    r"won'?t fix|intentional|on purpose|by design|that'?s fine|this is fine|irrelevant|nope|false positive|"
    r"doesn'?t apply|does not apply|not applicable|ignore (?:this|that|it))\b",
    re.I,
)
_AGREES = re.compile(r"\b(good catch|nice catch|agreed|fixed|done|thanks|thank you|will do|makes sense|\+1)\b", re.I)


def reply_verdict(text: str) -> str | None:
    """`negative`, `positive` or None (neither said plainly) for a reply to the bot's comment."""
    text = without_invisible(text or "")
    if _DISAGREES.search(text):
        return "negative"
    if _AGREES.search(text):
        return "positive"
    return None


@dataclass
class BotComment:
    id: int
    pull_number: int
    path: str
    line: int | None
    original_line: int | None
    side: str
    commit_id: str
    diff_hunk: str
    body: str
    created_at: str
    thumbs_up: int = 0
    thumbs_down: int = 0
    lead: set[str] = field(default_factory=set)  # the lead's reactions ("+1", "-1")
    lead_reply: str | None = None  # the verdict of the lead's reply, if she replied

    @property
    def verdict(self) -> str | None:
        if "-1" in self.lead or self.lead_reply == "negative":
            return "negative"
        if "+1" in self.lead or self.lead_reply == "positive":
            return "positive"
        return None


@dataclass
class Feedback:
    comments: list[BotComment] = field(default_factory=list)
    api_calls: int = 0  # requests for who reacted (only comments with a 👍 or 👎)

    def judged(self, bot_rows: pd.DataFrame) -> pd.DataFrame:
        """The rows of the bot's comments the lead gave a verdict on, with a `verdict` column."""
        verdicts = {c.id: c.verdict for c in self.comments if c.verdict}
        rows = bot_rows[bot_rows["id"].isin(list(verdicts))]
        return rows.assign(verdict=rows["id"].map(verdicts).astype("string"))

    def records(self) -> list[dict]:
        return [{**asdict(c), "lead": sorted(c.lead), "verdict": c.verdict} for c in self.comments]

    def approval(self) -> dict:
        """The lead's approval of the bot, and everyone else's reactions, for the report."""
        up = sum(1 for c in self.comments if "+1" in c.lead)
        down = sum(1 for c in self.comments if "-1" in c.lead)
        others_up = sum(c.thumbs_up for c in self.comments) - up
        others_down = sum(c.thumbs_down for c in self.comments) - down
        return {
            "bot_comments": len(self.comments),
            "lead_thumbs_up": up,
            "lead_thumbs_down": down,
            "lead_approval": round(up / (up + down), 4) if up + down else None,
            "lead_replies": sum(1 for c in self.comments if c.lead_reply),
            "others_thumbs_up": others_up,
            "others_thumbs_down": others_down,
            "negative": sum(1 for c in self.comments if c.verdict == "negative"),
            "positive": sum(1 for c in self.comments if c.verdict == "positive"),
        }


def bot_comments_for(bot_rows: pd.DataFrame, reviewer: str) -> list[BotComment]:
    """The bot's top-level comments written in `reviewer`'s voice (rows as collection keeps them)."""
    out = []
    for c in bot_rows.to_dict("records") if bot_rows is not None else []:
        if not pd.isna(c["in_reply_to_id"]) or (voice_of(c["body"] or "") or "").lower() != reviewer.lower():
            continue
        out.append(
            BotComment(
                int(c["id"]),
                int(c["pull_number"]),
                c["path"],
                None if pd.isna(c["line"]) else int(c["line"]),
                None if pd.isna(c["original_line"]) else int(c["original_line"]),
                c["side"] or "RIGHT",
                c["original_commit_id"] or c["commit_id"],
                c["diff_hunk"] or "",
                c["body"] or "",
                str(c["created_at"]),
                int(c["reactions_up"]),
                int(c["reactions_down"]),
            )
        )
    return out


@dataclass
class ReactionMemo:
    """The lead's reactions per bot comment as last read, with the roll-up counts they were read at.
    Kept per (reviewer, repository) in plain JSON: comment ids, counts and "+1"/"-1", no text."""

    path: Path | None = None
    seen: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path) -> "ReactionMemo":
        try:
            seen = json.loads(path.read_text())
        except (OSError, ValueError):
            seen = {}  # none yet, or unreadable: read the reactions again rather than trust it
        return cls(path, seen if isinstance(seen, dict) else {})

    def lead_reactions(self, comment: BotComment) -> set[str] | None:
        """What the lead's reactions were, if the comment's 👍/👎 counts are the ones they were read at."""
        entry = self.seen.get(str(comment.id))
        if entry and (entry.get("up"), entry.get("down")) == (comment.thumbs_up, comment.thumbs_down):
            return set(entry.get("lead") or ())
        return None

    def remember(self, comment: BotComment) -> None:
        self.seen[str(comment.id)] = {
            "up": comment.thumbs_up,
            "down": comment.thumbs_down,
            "lead": sorted(comment.lead),
        }

    def save(self, comments: list[BotComment]) -> None:
        if self.path is None:
            return
        kept = {str(c.id) for c in comments}  # comments deleted since are forgotten
        write_private(self.path, json.dumps({k: v for k, v in self.seen.items() if k in kept}, sort_keys=True))


def gather_feedback(
    access: GitHubAccess, repo: str, reviewer: str, bot_rows, comments, memo: ReactionMemo | None = None
) -> Feedback:
    """The bot's comments for `reviewer`, with the lead's replies (already on the pages collection
    read: no request) and her reactions (one request per comment, only where the roll-up shows a
    👍 or 👎 and, with a `memo`, its counts changed since they were last read)."""
    memo = memo or ReactionMemo()
    feedback = Feedback(bot_comments_for(bot_rows, reviewer))
    by_id = {c.id: c for c in feedback.comments}
    replies = comments[comments["in_reply_to_id"].notna() & (comments["user"].str.lower() == reviewer.lower())]
    for reply in replies.sort_values("created_at").to_dict("records"):
        target = by_id.get(int(reply["in_reply_to_id"]))
        if target is not None:
            target.lead_reply = reply_verdict(reply["body"] or "") or target.lead_reply
    for comment in feedback.comments:
        if not (comment.thumbs_up or comment.thumbs_down):
            continue
        known = memo.lead_reactions(comment)
        if known is not None:
            comment.lead = known
            continue
        try:
            for page in access.rest.pages(
                f"/repos/{repo}/pulls/comments/{comment.id}/reactions", "reading reactions to my comments"
            ):
                feedback.api_calls += 1
                for reaction in page:
                    if login_of(reaction.get("user")).lower() == reviewer.lower():
                        comment.lead.add(reaction.get("content"))
        except GithubException:  # a comment deleted meanwhile: its reactions are gone with it
            continue
        memo.remember(comment)
    memo.save(feedback.comments)
    return feedback
