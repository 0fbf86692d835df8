"""Reading a command out of a pull-request comment.

    @tech-lead-bot mira-kovacs
    @Tech-Lead-Bot: @mira-kovacs --force-reload.
    @tech-lead-bot mira-kovacs --full

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

from ..common.invisible_text import without_invisible
from ..common.partitions import LOGIN_RE
from ..common.safe_markdown import code_span

FORCE_FLAGS = {"--force-reload", "--force_reload", "--forcereload", "-f"}
FULL_FLAGS = {"--full", "--full-review", "--full_review"}
_PUNCT = ".,;:!?()[]{}\"'“”‘’<>*_~"
# Where a command may start: after a list item's marker (and a task box) or a heading's hashes.
_LIST_MARKER = re.compile(r"^\s*(?:(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s+)?|#{1,6}\s+)")
# Typographic dashes that editors and phones put in place of "--" (en, em, minus, ...).
_DASHES = re.compile("^[-\u2010-\u2015\u2212\ufe58\ufe63\uff0d]+")
# A reviewer written as a link or a profile address: `[mira](https://github.com/mira)`, `https://github.com/mira`.
_PROFILE = re.compile(r"^\[@?([^\]]+)\]\(.*\)$|^<?https?://[^/\s]+/([^/\s?#>]+)/?>?$")
# CommonMark inline code: a backtick run closed by a run of the same length; an unclosed run is literal text
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)")


@dataclass(frozen=True)
class MentionCommand:
    reviewer: str
    force_reload: bool = False
    full: bool = False  # review every hunk, not only what changed since the bot's last review


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


def _reviewer_word(word: str) -> str:
    """A word after the mention, its surrounding punctuation dropped, a profile link read as its login."""
    profile = _PROFILE.match(word)
    if profile:
        word = profile.group(1) or profile.group(2)
    return word.strip(_PUNCT)


def _flag(word: str) -> str:
    """`—force-reload`, `–-force-reload`, `--Force-Reload` -> `--force-reload` (`-f` stays `-f`)."""
    dashes = _DASHES.match(word).group(0)
    name = word[len(dashes) :].lower()
    return f"-{name}" if len(name) == 1 and dashes == "-" else f"--{name}"


def parse_mention(body: str | None, bot_login: str) -> MentionCommand | MalformedMention | None:
    """The command in `body`, a MalformedMention saying what is wrong, or None (not for us)."""
    # Invisible characters first: copy and paste puts them anywhere, the bot's own name included.
    body = without_invisible(body or "")
    if not body or bot_login.lower() not in body.lower():
        return None
    mention = re.compile(rf"(?<![\w@/.-])@{re.escape(bot_login)}(?:\[bot\])?(?![\w-])", re.I)
    for line in _prose(body).split("\n"):
        line = _LIST_MARKER.sub("", line, count=1)
        match = mention.search(line)
        if not match or line[: match.start()].strip(" \t" + _PUNCT):
            continue
        words = [_reviewer_word(w) for w in line[match.end() :].split()]
        words = [w for w in words if w]
        usage = (
            f"say {code_span('@' + bot_login + ' USERNAME')} (optionally `--force-reload` or `--full`), "
            f"e.g. {code_span('@' + bot_login + ' octocat')}"
        )
        flags = [w for w in words if _DASHES.match(w)]
        names = [w for w in words if w not in flags]
        unknown = [f for f in flags if _flag(f) not in FORCE_FLAGS | FULL_FLAGS]
        if unknown:
            return MalformedMention(f"I don't know the option {code_span(unknown[0], 40)}; {usage}.")
        if not names:
            return MalformedMention(f"Whose reviews should I learn? Please {usage}.")
        reviewer = names[0].lstrip("@")
        if not LOGIN_RE.match(reviewer):
            return MalformedMention(f"{code_span(reviewer, 40)} is not a GitHub username; {usage}.")
        return MentionCommand(
            reviewer,
            force_reload=any(_flag(f) in FORCE_FLAGS for f in flags),
            full=any(_flag(f) in FULL_FLAGS for f in flags),
        )
    return None
