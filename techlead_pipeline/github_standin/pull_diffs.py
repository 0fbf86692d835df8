"""Computes a pull request's diff, file list and commentable lines from the bare repository,
the way GitHub does: a three-dot diff (merge base of base and head, to head) with rename detection.

The diff is read with the project's own parser (diffs/patch.py), so the stand-in and the bot agree
on every file name git had to quote.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from ..common.gitcmd import GitError, git_text
from ..diffs.patch import FileChange, parse_diff


@dataclass
class PullDiff:
    text: str
    changes: list[FileChange] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    # path -> {"RIGHT": set of new-file lines, "LEFT": set of old-file lines} that may carry a comment
    anchors: dict[str, dict[str, set[int]]] = field(default_factory=dict)


def merge_base(git_dir: Path, a: str, b: str) -> str:
    try:
        return git_text(["merge-base", a, b], git_dir).strip()
    except GitError:
        return a


def _blob_sha(root: Path, head: str, path: str) -> str | None:
    try:
        return git_text(["rev-parse", f"{head}:{path}"], root).strip()
    except GitError:
        return None


@functools.lru_cache(maxsize=256)
def _compute(git_dir: str, base: str, head: str) -> PullDiff:
    root = Path(git_dir)
    start = merge_base(root, base, head)
    text = git_text(["diff", "-M", "--full-index", "--no-color", "--no-ext-diff", start, head], root)
    out = PullDiff(text=text, changes=parse_diff(text))
    for change in out.changes:
        entry = {
            "filename": change.path,
            "status": change.status,
            "additions": change.additions,
            "deletions": change.deletions,
            "blob_sha": None if change.status == "removed" else _blob_sha(root, head, change.path),
            # GitHub's `patch` holds only the hunks; binary files have none.
            "patch": None if change.skipped == "binary file" else change.patch,
            "mode": change.mode,
        }
        if change.status == "renamed":
            entry["previous_filename"] = change.old_path
        out.files.append(entry)
        out.anchors[change.path] = commentable_lines(change)
    return out


def commentable_lines(change: FileChange) -> dict[str, set[int]]:
    """The lines GitHub accepts a review comment on, per side: those shown in the file's hunks."""
    right: set[int] = set()
    left: set[int] = set()
    for hunk in change.hunks:
        for line in hunk.lines:
            if line.kind in "+ ":
                right.add(line.new_no)
            if line.kind in "- ":
                left.add(line.old_no)
    return {"RIGHT": right, "LEFT": left}


def pull_diff(git_dir: Path, base_sha: str, head_sha: str) -> PullDiff:
    return _compute(str(git_dir), base_sha, head_sha)


def _locate(diff: PullDiff, path: str, line: int | None, side: str):
    """(hunk, index of the line within the hunk, position in the file's patch) for `line`."""
    change = next((c for c in diff.changes if c.path == path), None)
    if change is None:
        return None
    position = 0
    for hunk in change.hunks:
        position += 1  # the @@ header itself counts as a position after the first hunk
        for index, ln in enumerate(hunk.lines):
            on_side = ln.kind in "+ " if side == "RIGHT" else ln.kind in "- "
            number = ln.new_no if side == "RIGHT" else ln.old_no
            if on_side and number == line:
                return hunk, index, position + index
        position += len(hunk.lines)
    return None


def hunk_header(hunk) -> str:
    header = f"@@ -{hunk.old_start},{hunk.old_len} +{hunk.new_start},{hunk.new_len} @@"
    return f"{header} {hunk.section}" if hunk.section else header


def hunk_up_to(diff: PullDiff, path: str, line: int | None, side: str = "RIGHT") -> str:
    """GitHub's `diff_hunk` for a comment: the hunk that holds the line, cut after that line."""
    found = _locate(diff, path, line, side or "RIGHT")
    if found is None:
        return ""
    hunk, index, _ = found
    return "\n".join([hunk_header(hunk)] + [f"{ln.kind}{ln.text}" for ln in hunk.lines[: index + 1]])


def diff_position(diff: PullDiff, path: str, line: int | None, side: str = "RIGHT") -> int | None:
    """GitHub's legacy `position`: the line's offset below the file's first @@ header."""
    found = _locate(diff, path, line, side or "RIGHT")
    return None if found is None else found[2]
