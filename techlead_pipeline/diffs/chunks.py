"""Splits hunks into chunks a model can review: a huge hunk becomes several chunks of at most
`max_changed` changed lines, each with a little surrounding context, so a 10,000-line hunk costs
bounded prompts instead of one that no context window holds."""

from __future__ import annotations

from dataclasses import dataclass

from .patch import DiffLine, FileChange, Hunk

CONTEXT_AROUND = 3


@dataclass
class Chunk:
    path: str
    old_path: str | None
    status: str
    language: str
    lines: list[DiffLine]
    hunk_index: int
    chunk_index: int
    no_newline_at_end: bool = False

    @property
    def header(self) -> str:
        olds = [ln.old_no for ln in self.lines if ln.old_no is not None]
        news = [ln.new_no for ln in self.lines if ln.new_no is not None]
        old_start = olds[0] if olds else 0
        new_start = news[0] if news else 0
        return f"@@ -{old_start},{len(olds)} +{new_start},{len(news)} @@"

    @property
    def added(self) -> list[DiffLine]:
        return [ln for ln in self.lines if ln.kind == "+"]

    @property
    def removed(self) -> list[DiffLine]:
        return [ln for ln in self.lines if ln.kind == "-"]

    @property
    def changed(self) -> list[DiffLine]:
        return [ln for ln in self.lines if ln.kind != " "]

    def text(self, up_to: DiffLine | None = None, max_lines: int | None = None) -> str:
        """The chunk as diff text (GitHub `diff_hunk` style: cut after `up_to` when given)."""
        body = self.lines
        if up_to is not None:
            body = body[: self.lines.index(up_to) + 1]
        if max_lines is not None and len(body) > max_lines:
            body = body[-max_lines:]
        out = [self.header] + [f"{ln.kind}{ln.text}" for ln in body]
        if self.no_newline_at_end and up_to is None:
            out.append("\\ No newline at end of file")
        return "\n".join(out)

    def covers(self, line: int, side: str) -> bool:
        numbers = [ln.new_no if side == "RIGHT" else ln.old_no for ln in self.lines]
        return line in numbers


def _split_hunk(hunk: Hunk, max_changed: int) -> list[list[DiffLine]]:
    lines = hunk.lines
    changed_idx = [i for i, ln in enumerate(lines) if ln.kind != " "]
    if not changed_idx:
        return []
    groups: list[list[int]] = [[]]
    for i in changed_idx:
        current = groups[-1]
        gap_is_context = current and i - current[-1] > 2 * CONTEXT_AROUND
        if current and (len(current) >= max_changed or (gap_is_context and len(current) >= max_changed // 2)):
            groups.append([])
        groups[-1].append(i)
    pieces = []
    previous_end = 0  # context lines belong to one chunk only
    for k, group in enumerate(groups):
        start = max(previous_end, group[0] - CONTEXT_AROUND)
        end = min(len(lines), group[-1] + CONTEXT_AROUND + 1)
        if k + 1 < len(groups):
            end = min(end, groups[k + 1][0])
        pieces.append(lines[start:end])
        previous_end = end
    return pieces


def chunk_file(change: FileChange, max_changed: int = 12) -> list[Chunk]:
    chunks: list[Chunk] = []
    for h_index, hunk in enumerate(change.hunks):
        pieces = _split_hunk(hunk, max_changed)
        for c_index, piece in enumerate(pieces):
            chunks.append(
                Chunk(
                    change.path,
                    change.old_path,
                    change.status,
                    change.language,
                    piece,
                    h_index,
                    c_index,
                    no_newline_at_end=hunk.no_newline_at_end and c_index == len(pieces) - 1,
                )
            )
    return chunks


def chunk_changes(changes: list[FileChange], max_changed: int = 12) -> list[Chunk]:
    return [chunk for change in changes if change.skipped is None for chunk in chunk_file(change, max_changed)]
