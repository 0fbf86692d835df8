"""Reading a command out of a pull-request comment.

    @tech-lead-bot mira-kovacs
    @Tech-Lead-Bot: @mira-kovacs --force-reload.

Like other GitHub command bots, a command is a mention that starts a line (a list item's marker,
`-`, `*`, `+` or `1.`, may come first); the bot may be named as its App account
(`@tech-lead-bot[bot]`). The first word after it names the reviewer, flags may follow, other words
are ignored ("... please"). A mention in the
middle of a sentence ("thanks @tech-lead-bot for the review") is conversation, not a command, and
so is one inside a fenced or indented code block, inline code, a quote or an HTML comment. Case
and surrounding punctuation do not matter. A malformed command gets a sentence back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..partitions import LOGIN_RE
from ..safe_markdown import code_span

FORCE_FLAGS = {"--force-reload", "--force_reload", "--forcereload", "—force-reload", "–force-reload", "-f"}
_PUNCT = ".,;:!?()[]{}\"'“”‘’<>*_~"
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+")
# CommonMark inline code: a backtick run closed by a run of the same length; an unclosed run is literal text
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)")


@dataclass(frozen=True)
class MentionCommand:
    reviewer: str
    force_reload: bool = False


@dataclass(frozen=True)
class MalformedMention:
    message: str


def _prose(body: str) -> str:
    """The comment without code, quotes and HTML comments (where a mention is not a command)."""
    text = re.sub(r"<!--.*?(-->|$)", " ", body, flags=re.S)
    text = re.sub(r"(^|\n)[ \t]*(```|~~~).*?(\n[ \t]*\2[^\n]*|$)", "\n", text, flags=re.S)
    kept = []
    for line in text.split("\n"):
        if line.startswith("    ") or line.startswith("\t") or line.lstrip().startswith(">"):
            continue
        kept.append(_CODE_SPAN.sub(" ", line))
    return "\n".join(kept)


def parse_mention(body: str | None, bot_login: str) -> MentionCommand | MalformedMention | None:
    """The command in `body`, a MalformedMention saying what is wrong, or None (not for us)."""
    if not body or bot_login.lower() not in body.lower():
        return None
    mention = re.compile(rf"(?<![\w@/.-])@{re.escape(bot_login)}(?:\[bot\])?(?![\w-])", re.I)
    for line in _prose(body).split("\n"):
        line = _LIST_MARKER.sub("", line, count=1)
        match = mention.search(line)
        if not match or line[: match.start()].strip(" \t" + _PUNCT):
            continue
        words = [w.strip(_PUNCT) for w in line[match.end() :].split()]
        words = [w for w in words if w]
        usage = (
            f"say {code_span('@' + bot_login + ' USERNAME')} (optionally `--force-reload`), "
            f"e.g. {code_span('@' + bot_login + ' octocat')}"
        )
        flags = [w for w in words if w.startswith(("-", "—", "–"))]
        names = [w for w in words if w not in flags]
        unknown = [f for f in flags if f.lower() not in FORCE_FLAGS]
        if unknown:
            return MalformedMention(f"I don't know the option {code_span(unknown[0], 40)}; {usage}.")
        if not names:
            return MalformedMention(f"Whose reviews should I learn? Please {usage}.")
        reviewer = names[0].lstrip("@")
        if not LOGIN_RE.match(reviewer):
            return MalformedMention(f"{code_span(reviewer, 40)} is not a GitHub username; {usage}.")
        return MentionCommand(reviewer, force_reload=bool(flags))
    return None
