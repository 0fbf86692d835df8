"""Hidden markers that tie what the bot posts to the mention that asked for it (idempotency)."""

_MARKER = "<!-- techlead-reviewer mention={mention} kind={kind} -->"


def marker(mention_id: str | int, kind: str) -> str:
    return _MARKER.format(mention=mention_id, kind=kind)


def has_marker(body: str, mention_id: str | int, kind: str) -> bool:
    return marker(mention_id, kind) in (body or "")
