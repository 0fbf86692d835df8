"""Where a comment goes so that GitHub accepts it: `line` + `side` inside the diff.

RIGHT (the new file) for added and context lines, LEFT (the old file) for deleted lines; a range
adds `start_line`/`start_side` on the same side, within the same chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..diffs.chunks import Chunk
from ..diffs.patch import DiffLine


@dataclass(frozen=True)
class Anchor:
    path: str
    line: int
    side: str
    start_line: int | None = None

    def as_review_comment(self, body: str) -> dict:
        comment = {"path": self.path, "line": self.line, "side": self.side, "body": body}
        if self.start_line is not None and self.start_line < self.line:
            comment.update(start_line=self.start_line, start_side=self.side)
        return comment


def side_of(line: DiffLine) -> str:
    return "LEFT" if line.kind == "-" else "RIGHT"


def number_on_side(line: DiffLine, side: str) -> int | None:
    return line.new_no if side == "RIGHT" else line.old_no


def anchor_at(chunk: Chunk, line: DiffLine) -> Anchor:
    side = side_of(line)
    return Anchor(chunk.path, number_on_side(line, side), side)


def range_anchor(chunk: Chunk, first: DiffLine, last: DiffLine) -> Anchor:
    """A multi-line anchor from `first` to `last` (both on `last`'s side, in this chunk)."""
    side = side_of(last)
    end = number_on_side(last, side)
    start = number_on_side(first, side)
    if start is None or start >= end:
        return Anchor(chunk.path, end, side)
    return Anchor(chunk.path, end, side, start_line=start)


def candidate_lines(chunk: Chunk, limit: int = 40) -> list[DiffLine]:
    """Lines a comment may sit on: added lines; for a deletion-only chunk, deleted lines."""
    lines = (
        [ln for ln in chunk.added if ln.text.strip()]
        or chunk.added
        or [ln for ln in chunk.removed if ln.text.strip()]
        or chunk.removed
    )
    return lines[-limit:]


def default_focus(chunk: Chunk) -> DiffLine:
    return candidate_lines(chunk)[-1]


def is_valid(anchor: Anchor, chunk: Chunk) -> bool:
    numbers = {
        number_on_side(ln, anchor.side)
        for ln in chunk.lines
        if (anchor.side == "RIGHT" and ln.kind in "+ ") or (anchor.side == "LEFT" and ln.kind in "- ")
    }
    if anchor.line not in numbers:
        return False
    return anchor.start_line is None or (anchor.start_line in numbers and anchor.start_line < anchor.line)


def commentable(changes) -> set[tuple[str, str, int]]:
    """Every (path, side, line) of these file changes that GitHub accepts a review comment on."""
    out: set[tuple[str, str, int]] = set()
    for change in changes:
        for hunk in change.hunks:
            for ln in hunk.lines:
                if ln.kind in "+ ":
                    out.add((change.path, "RIGHT", ln.new_no))
                if ln.kind in "- ":
                    out.add((change.path, "LEFT", ln.old_no))
    return out


def changed_lines(changes) -> set[tuple[str, str, int]]:
    """Every (path, side, line) these file changes add or remove: what the pull request changed."""
    return {
        (change.path, side_of(ln), number_on_side(ln, side_of(ln)))
        for change in changes
        for hunk in change.hunks
        for ln in hunk.lines
        if ln.kind in "+-"
    }
