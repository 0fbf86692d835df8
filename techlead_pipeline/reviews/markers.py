"""Hidden markers that tie what the bot posts to the mention that asked for it (idempotency)."""

import re

_MARKER = "<!-- techlead-reviewer mention={mention} kind={kind} -->"


def marker(mention_id: str | int, kind: str) -> str:
    return _MARKER.format(mention=mention_id, kind=kind)


def has_marker(body: str, mention_id: str | int, kind: str) -> bool:
    return marker(mention_id, kind) in (body or "")


def markers_in(body: str) -> list[tuple[str, str]]:
    return re.findall(r"<!-- techlead-reviewer mention=(\S+) kind=(\S+) -->", body or "")
