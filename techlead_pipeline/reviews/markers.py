"""Hidden markers that tie what the bot posts to the mention that asked for it (idempotency), and
each review comment to the reviewer whose voice it imitates (feedback)."""

import re

_MARKER = "<!-- techlead-reviewer mention={mention} kind={kind} -->"


def marker(mention_id: str | int, kind: str) -> str:
    return _MARKER.format(mention=mention_id, kind=kind)


def has_marker(body: str, mention_id: str | int, kind: str) -> bool:
    """Does `body` end with the marker, as everything the bot posts does? A marker anywhere else (in
    a code span, quoted from someone else's comment) is text, not ours."""
    lines = (body or "").rstrip().splitlines()
    return bool(lines) and lines[-1].strip() == marker(mention_id, kind)


_VOICE = "<!-- techlead-reviewer as={reviewer} -->"
_VOICE_RE = re.compile(r"<!-- techlead-reviewer as=([A-Za-z0-9-]{1,39}) -->\s*$")


def voice_marker(reviewer: str) -> str:
    """Ends every review comment the bot posts: whose voice it was written in, so that the lead's
    reactions to it can be found again on the pages collection reads (history/feedback.py)."""
    return _VOICE.format(reviewer=reviewer)


def voice_of(body: str) -> str | None:
    """The reviewer a comment of the bot's was written as (None: no marker at its end)."""
    found = _VOICE_RE.search(body or "")
    return found.group(1) if found else None


def without_markers(body: str) -> str:
    """What a reader sees of a comment the bot posted: its text, without the hidden markers at its end."""
    return re.sub(r"\s*<!-- techlead-reviewer [^>]*-->\s*$", "", body or "")
