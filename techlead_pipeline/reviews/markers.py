"""Hidden markers that tie what the bot posts to the mention that asked for it (idempotency)."""

_MARKER = "<!-- techlead-reviewer mention={mention} kind={kind} -->"


def marker(mention_id: str | int, kind: str) -> str:
    return _MARKER.format(mention=mention_id, kind=kind)


def has_marker(body: str, mention_id: str | int, kind: str) -> bool:
    """Does `body` end with the marker, as everything the bot posts does? A marker anywhere else (in
    a code span, quoted from someone else's comment) is text, not ours."""
    lines = (body or "").rstrip().splitlines()
    return bool(lines) and lines[-1].strip() == marker(mention_id, kind)
