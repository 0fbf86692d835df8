"""What the reviewer backends look at: each chunk of the pull request, with candidate lines and
the code around each one (from the PR's head commit when the file can be read)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..common.safe_markdown import code_span
from ..diffs.chunks import Chunk, chunk_changes
from ..diffs.patch import DiffLine, FileChange
from ..training_data.keys import retrieval_key
from ..training_data.prompts import user_prompt
from .anchors import Anchor, anchor_at, candidate_lines, number_on_side, side_of
from .floor import FloorTally

WINDOW = 20


@dataclass
class Candidate:
    line: DiffLine
    side: str
    focus_line: int
    code: str
    start_line: int
    key: str


@dataclass
class HunkReview:
    chunk: Chunk
    candidates: list[Candidate]

    def prompt(self, candidate: Candidate) -> str:
        return user_prompt(
            self.chunk.path,
            self.chunk.language,
            self.chunk.text(up_to=candidate.line),
            candidate.code,
            candidate.start_line,
            candidate.focus_line,
            candidate.side,
        )

    def anchor(self, candidate: Candidate) -> Anchor:
        return anchor_at(self.chunk, candidate.line)


@dataclass
class PreparedReview:
    hunks: list[HunkReview]
    skipped: list[str] = field(default_factory=list)  # one sentence per file or hunk not reviewed
    below_floor: FloorTally = field(default_factory=FloorTally)  # drafts dropped by the floor, by reason
    unwritten: int = 0  # hunks the backend would have spoken on, left unwritten once the review was full


def _window_from_lines(lines: list[str], focus: int, window: int = WINDOW) -> tuple[str, int, str]:
    start = max(1, focus - window // 2)
    chosen = lines[start - 1 : start - 1 + window]
    return "\n".join(chosen), start, retrieval_key(lines, focus - 1)


def _window_from_chunk(chunk: Chunk, line: DiffLine) -> tuple[str, int, str]:
    side = side_of(line)
    keep = [ln for ln in chunk.lines if (ln.kind in "+ " if side == "RIGHT" else ln.kind in "- ")]
    texts = [ln.text for ln in keep]
    index = keep.index(line)
    start = number_on_side(keep[0], side) or 1
    return "\n".join(texts), start, retrieval_key(texts, index)


def prepare(
    changes: list[FileChange],
    new_file_text: Callable[[str], str | None],
    *,
    max_changed: int = 12,
    max_hunks: int = 300,
    max_candidates: int = 40,
) -> PreparedReview:
    skipped = [f"{code_span(c.path)}: {c.skipped}" for c in changes if c.skipped]
    chunks = chunk_changes(changes, max_changed=max_changed)
    if len(chunks) > max_hunks:
        left = chunks[max_hunks:]
        hunks_left = len({(c.path, c.hunk_index) for c in left})
        skipped.append(
            f"{hunks_left} more hunk{'s' if hunks_left != 1 else ''} ({len(left)} pieces of up to {max_changed} "
            f"changed lines; I review at most {max_hunks} pieces a pull request)"
        )
        chunks = chunks[:max_hunks]
    texts: dict[str, list[str] | None] = {}
    hunks = []
    for chunk in chunks:
        candidates = []
        for line in candidate_lines(chunk, limit=max_candidates):
            side = side_of(line)
            focus = number_on_side(line, side)
            if side == "RIGHT":
                if chunk.path not in texts:
                    text = new_file_text(chunk.path)
                    texts[chunk.path] = text.split("\n") if text is not None else None
                lines = texts[chunk.path]
            else:
                lines = None
            if lines is not None and 0 < focus <= len(lines) and lines[focus - 1] == line.text:
                code, start, key = _window_from_lines(lines, focus)
            else:
                code, start, key = _window_from_chunk(chunk, line)
            candidates.append(Candidate(line, side, focus, code, start, key))
        if candidates:
            hunks.append(HunkReview(chunk, candidates))
    return PreparedReview(hunks, skipped)
