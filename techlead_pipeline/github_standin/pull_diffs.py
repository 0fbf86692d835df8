"""Computes a pull request's diff, file list and commentable lines from the bare repository,
the way GitHub does: a three-dot diff (merge base of base and head, to head) with rename detection.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from unidiff import PatchSet

from ..diffs.patch import file_status
from ..gitcmd import GitError, git_text


@dataclass
class PullDiff:
    text: str
    files: list[dict] = field(default_factory=list)
    # path -> {"RIGHT": set of new-file lines, "LEFT": set of old-file lines} that may carry a comment
    anchors: dict[str, dict[str, set[int]]] = field(default_factory=dict)


def merge_base(git_dir: Path, a: str, b: str) -> str:
    try:
        return git_text(["merge-base", a, b], git_dir).strip()
    except GitError:
        return a


def _path(name: str | None) -> str | None:
    if name is None or name == "/dev/null":
        return None
    return name[2:] if name[:2] in ("a/", "b/") else name


@functools.lru_cache(maxsize=256)
def _compute(git_dir: str, base: str, head: str) -> PullDiff:
    root = Path(git_dir)
    start = merge_base(root, base, head)
    text = git_text(["diff", "-M", "--full-index", "--no-color", "--no-ext-diff", start, head], root)
    patch = PatchSet(text)
    out = PullDiff(text=text)
    for pf in patch:
        path = pf.path
        status = file_status(pf)
        blob_sha = None
        if status != "removed":
            try:
                blob_sha = git_text(["rev-parse", f"{head}:{path}"], root).strip()
            except GitError:
                blob_sha = None
        entry = {
            "filename": path,
            "status": status,
            "additions": pf.added,
            "deletions": pf.removed,
            "blob_sha": blob_sha,
            # GitHub's `patch` field holds only the hunks; binary files have none.
            "patch": None if pf.is_binary_file else "".join(str(h) for h in pf) or None,
        }
        if pf.is_rename:
            entry["previous_filename"] = _path(pf.source_file)
        out.files.append(entry)
        out.anchors[path] = commentable_lines(pf)
    return out


def commentable_lines(pf) -> dict[str, set[int]]:
    """The lines GitHub accepts a review comment on, per side: those shown in the file's hunks."""
    right: set[int] = set()
    left: set[int] = set()
    for hunk in pf:
        for line in hunk:
            if line.is_added or line.is_context:
                right.add(line.target_line_no)
            if line.is_removed or line.is_context:
                left.add(line.source_line_no)
    return {"RIGHT": right, "LEFT": left}


def pull_diff(git_dir: Path, base_sha: str, head_sha: str) -> PullDiff:
    return _compute(str(git_dir), base_sha, head_sha)


def _locate(diff_text: str, path: str, line: int | None, side: str):
    """Yields (hunk, index of the line within the hunk, position in the file's patch) for `line`."""
    position = 0
    for pf in PatchSet(diff_text):
        if pf.path != path:
            continue
        for hunk in pf:
            position += 1  # the @@ header itself counts as a position after the first hunk
            for index, ln in enumerate(hunk):
                on_side = (ln.is_added or ln.is_context) if side == "RIGHT" else (ln.is_removed or ln.is_context)
                number = ln.target_line_no if side == "RIGHT" else ln.source_line_no
                if on_side and number == line:
                    return hunk, index, position + index
            position += len(hunk)
    return None


def hunk_header(hunk) -> str:
    header = f"@@ -{hunk.source_start},{hunk.source_length} +{hunk.target_start},{hunk.target_length} @@"
    return f"{header} {hunk.section_header}" if hunk.section_header else header


def hunk_up_to(diff_text: str, path: str, line: int | None, side: str = "RIGHT") -> str:
    """GitHub's `diff_hunk` for a comment: the hunk that holds the line, cut after that line."""
    found = _locate(diff_text, path, line, side or "RIGHT")
    if found is None:
        return ""
    hunk, index, _ = found
    return "\n".join([hunk_header(hunk)] + [str(ln).rstrip("\n") for ln in list(hunk)[: index + 1]])


def diff_position(diff_text: str, path: str, line: int | None, side: str = "RIGHT") -> int | None:
    """GitHub's legacy `position`: the line's offset below the file's first @@ header."""
    found = _locate(diff_text, path, line, side or "RIGHT")
    return None if found is None else found[2]
