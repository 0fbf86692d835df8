"""Parses a pull request's changes into files and hunks with unidiff.

Accepts a whole unified diff (`git diff`, GitHub's `.diff`) or GitHub's `/pulls/{n}/files`
entries, whose `patch` holds hunks only. Binary, mode-only and too-large files come out with no
hunks and a reason, so callers can skip them and say why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from ..history.errors import UserFacingError
from ..history.languages import language_for


class MalformedDiffError(UserFacingError):
    def __init__(self, detail: str):
        super().__init__(f"I could not read this diff: {detail}.")


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "+", "-" or " "
    old_no: int | None
    new_no: int | None
    text: str


@dataclass
class Hunk:
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    section: str
    lines: list[DiffLine]
    no_newline_at_end: bool = False


@dataclass
class FileChange:
    path: str
    old_path: str | None
    status: str  # added, removed, modified, renamed
    hunks: list[Hunk] = field(default_factory=list)
    skipped: str | None = None  # why there is nothing to review (binary, mode only, too large)

    @property
    def language(self) -> str:
        return language_for(self.path)


def _clean(name: str | None) -> str | None:
    if name is None or name == "/dev/null":
        return None
    return name[2:] if name[:2] in ("a/", "b/") else name


def file_status(pf) -> str:
    """GitHub's name for what a unidiff PatchedFile does: added, removed, renamed or modified."""
    if pf.is_added_file:
        return "added"
    if pf.is_removed_file:
        return "removed"
    if pf.is_rename:
        return "renamed"
    return "modified"


_SUBMODULE = re.compile(r"^(?:index \S+ |new file mode |deleted file mode |new mode |old mode )160000\b", re.M)
_SYMLINK = re.compile(r"^(?:index \S+ |new file mode |deleted file mode |new mode |old mode )120000\b", re.M)


def _special_file(header: str, lines: list[str]) -> str | None:
    """Why a change that looks like text is not code to review (submodule bump, symlink target)."""
    if _SUBMODULE.search(header) or (lines and all(ln.startswith("Subproject commit ") for ln in lines)):
        return "submodule pointer change"
    if _SYMLINK.search(header):
        return "symbolic link"
    return None


def _from_patched_file(pf) -> FileChange:
    change = FileChange(path=pf.path, old_path=_clean(pf.source_file), status=file_status(pf))
    if pf.is_binary_file:
        change.skipped = "binary file"
        return change
    texts = [ln.value.rstrip("\n") for h in pf for ln in h if ln.line_type in "+-"]
    special = _special_file(str(pf.patch_info or ""), texts)
    if special:
        change.skipped = special
        return change
    for h in pf:
        lines = []
        no_newline = False
        for ln in h:
            if ln.line_type == "\\":
                no_newline = True
                continue
            lines.append(DiffLine(ln.line_type, ln.source_line_no, ln.target_line_no, ln.value.rstrip("\n")))
        change.hunks.append(
            Hunk(
                h.source_start,
                h.source_length,
                h.target_start,
                h.target_length,
                h.section_header or "",
                lines,
                no_newline,
            )
        )
    if not change.hunks:
        change.skipped = "no content change (mode or rename only)"
    return change


def parse_diff(text: str) -> list[FileChange]:
    """Parses a whole unified diff."""
    if not text.strip():
        return []
    try:
        patch = PatchSet(text)
    except (UnidiffParseError, ValueError, IndexError) as exc:
        raise MalformedDiffError(str(exc).split("\n")[0][:200]) from None
    if not len(patch) and text.strip():
        raise MalformedDiffError("it contains no file headers")
    return [_from_patched_file(pf) for pf in patch]


def parse_pull_files(files: list[dict]) -> list[FileChange]:
    """Parses `/pulls/{n}/files` entries (dicts with filename, status, patch, previous_filename)."""
    out = []
    for f in files:
        path = f["filename"]
        old = f.get("previous_filename") or path
        status = f.get("status", "modified")
        patch = f.get("patch")
        if patch is None:
            reason = "binary or too large for GitHub to show" if status != "renamed" else "rename only"
            out.append(FileChange(path, old, status, skipped=reason))
            continue
        source = "/dev/null" if status == "added" else f"a/{old}"
        target = "/dev/null" if status == "removed" else f"b/{path}"
        text = f"diff --git a/{old} b/{path}\n--- {source}\n+++ {target}\n{patch}\n"
        try:
            parsed = parse_diff(text)
        except MalformedDiffError as exc:
            out.append(FileChange(path, old, status, skipped=str(exc)))
            continue
        change = parsed[0] if parsed else FileChange(path, old, status, skipped="empty patch")
        change.path, change.status = path, status
        change.old_path = None if status == "added" else old
        out.append(change)
    return out
