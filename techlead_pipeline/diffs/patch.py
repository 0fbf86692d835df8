"""Parses a pull request's changes into files and hunks, with unidiff for the hunks.

Accepts a whole unified diff (`git diff`, GitHub's `.diff`, read as bytes by callers) or GitHub's
`/pulls/{n}/files` entries, whose `patch` holds hunks only. Binary, mode-only and too-large files
come out with no hunks and a reason, so callers can skip them and say why.

File names are read the way git writes them, not the way a regex guesses: a name git had to quote
(`"caf\\303\\251.py"`, a tab, a quote) is unquoted, and a name that holds ` b/` is split where
git's own header says. unidiff then parses each file's hunks under a placeholder name, so no file
name can break the parse. One file whose diff cannot be read is skipped and named; only a diff with
no readable file at all is an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from ..common.errors import UserFacingError
from ..common.safe_markdown import code_span
from ..history.languages import language_for
from .git_names import DEV_NULL, names_from_git_line, strip_prefix, unquote_git_path


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
    patch: str | None = None  # the hunks as diff text (what GitHub's /files calls `patch`)
    mode: str | None = None  # the new (else old) git file mode, when the diff says

    @property
    def language(self) -> str:
        return language_for(self.path)

    @property
    def additions(self) -> int:
        return sum(1 for h in self.hunks for ln in h.lines if ln.kind == "+")

    @property
    def deletions(self) -> int:
        return sum(1 for h in self.hunks for ln in h.lines if ln.kind == "-")


@dataclass
class _Header:
    old: str | None = None
    new: str | None = None
    added: bool = False
    removed: bool = False
    renamed: bool = False
    old_mode: str | None = None
    new_mode: str | None = None
    binary: bool = False


def _read_header(lines: list[str]) -> _Header:
    """Names and flags from a git file section's extended header (the lines before its first hunk)."""
    h = _Header()
    git_old, git_new = names_from_git_line(lines[0]) if lines and lines[0].startswith("diff --git ") else (None, None)
    for line in lines[1:]:
        text = line.rstrip("\n")
        if text.startswith("@@"):
            break
        if text.startswith("rename from ") or text.startswith("copy from "):
            h.old, h.renamed = unquote_git_path(text.split(" from ", 1)[1]), True
        elif text.startswith("rename to ") or text.startswith("copy to "):
            h.new, h.renamed = unquote_git_path(text.split(" to ", 1)[1]), True
        elif text.startswith("new file mode "):
            h.added, h.new_mode = True, text.rsplit(" ", 1)[1]
        elif text.startswith("deleted file mode "):
            h.removed, h.old_mode = True, text.rsplit(" ", 1)[1]
        elif text.startswith("old mode "):
            h.old_mode = text.rsplit(" ", 1)[1]
        elif text.startswith("new mode "):
            h.new_mode = text.rsplit(" ", 1)[1]
        elif text.startswith("index ") and len(text.split()) == 3:
            h.old_mode = h.old_mode or text.split()[2]
            h.new_mode = h.new_mode or text.split()[2]
        elif text.startswith("--- "):
            name = strip_prefix(text[4:])
            if name is None:
                h.added = True
            elif not h.renamed:
                h.old = name
        elif text.startswith("+++ "):
            name = strip_prefix(text[4:])
            if name is None:
                h.removed = True
            elif not h.renamed:
                h.new = name
        elif text.startswith("Binary files ") or text == "GIT binary patch":
            h.binary = True
    h.old = h.old or git_old
    h.new = h.new or git_new
    if h.added:
        h.old = None
    if h.removed:
        h.new = None
    return h


# ---------------------------------------------------------------------------------------------- hunks
def _placeholder_text(header: _Header, body: list[str]) -> str:
    """The section with names unidiff cannot misread; its hunks exactly as they were."""
    source = DEV_NULL if header.added else "a/file"
    target = DEV_NULL if header.removed else "b/file"
    return f"--- {source}\n+++ {target}\n" + "".join(body)


def _hunks(text: str) -> list[Hunk]:
    patch = PatchSet(text)
    if len(patch) != 1:
        raise UnidiffParseError("expected one file")
    hunks = []
    for h in patch[0]:
        lines, no_newline = [], False
        for ln in h:
            if ln.line_type == "\\":
                no_newline = True
                continue
            if ln.line_type not in ("+", "-", " "):
                continue  # a blank separator unidiff kept after the hunk
            lines.append(DiffLine(ln.line_type, ln.source_line_no, ln.target_line_no, ln.value.rstrip("\n")))
        hunks.append(
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
    return hunks


def _hunk_lines(section: list[str]) -> list[str]:
    start = next((i for i, ln in enumerate(section) if ln.startswith("@@")), len(section))
    return section[start:]


_SUBMODULE_MODE = "160000"
_SYMLINK_MODE = "120000"


def _special_file(mode: str | None, texts: list[str]) -> str | None:
    """Why a change that looks like text is not code to review (submodule bump, symlink target)."""
    if mode == _SUBMODULE_MODE or (texts and all(t.startswith("Subproject commit ") for t in texts)):
        return "submodule pointer change"
    if mode == _SYMLINK_MODE:
        return "symbolic link"
    return None


def _status(header: _Header) -> str:
    if header.added:
        return "added"
    if header.removed:
        return "removed"
    if header.renamed or (header.old and header.new and header.old != header.new):
        return "renamed"
    return "modified"


def _change(path: str, old_path: str | None, status: str, body: list[str], mode: str | None, binary: bool):
    change = FileChange(path=path, old_path=old_path, status=status, mode=mode)
    if binary:
        change.skipped = "binary file"
        return change
    try:
        added, removed = status == "added", status == "removed"
        change.hunks = _hunks(_placeholder_text(_Header(added=added, removed=removed), body))
    except (UnidiffParseError, ValueError, IndexError):
        change.skipped = "its diff could not be read"  # the parser's message quotes the diff: not for posting
        return change
    change.patch = "".join(body).rstrip("\n") or None
    texts = [ln.text for h in change.hunks for ln in h.lines if ln.kind in "+-"]
    special = _special_file(mode, texts)
    if special:
        change.skipped, change.hunks = special, []
    elif not change.hunks:
        change.skipped = "no content change (mode or rename only)"
    return change


_COMBINED = ("diff --cc ", "diff --combined ")  # a merge commit's diff against all its parents at once
COMBINED_REASON = "a merge's combined diff (`diff --cc`): diff it against one parent to review it"


def _sections(lines: list[str]) -> list[list[str]]:
    starts = [i for i, ln in enumerate(lines) if ln.startswith(("diff --git ",) + _COMBINED)]
    return [lines[s:e] for s, e in zip(starts, starts[1:] + [len(lines)])]


def _plain_diff(text: str) -> list[FileChange]:
    """A unified diff without git's headers (`diff -u`, `difflib`): unidiff alone."""
    try:
        patch = PatchSet(text)
    except (UnidiffParseError, ValueError, IndexError):
        # The parser's own message quotes the diff, which is not ours to echo.
        raise MalformedDiffError("it is not a unified diff the parser can read") from None
    if not len(patch):
        raise MalformedDiffError("it contains no file headers")
    out = []
    for pf in patch:
        old, new = strip_prefix(pf.source_file), strip_prefix(pf.target_file)
        header = _Header(old=old, new=new, added=old is None, removed=new is None)
        body = [str(h) for h in pf]
        out.append(
            _change(new or old or "", None if header.added else old, _status(header), body, None, pf.is_binary_file)
        )
    return out


def parse_diff(text: str) -> list[FileChange]:
    """Parses a whole unified diff; one unreadable file is skipped with a reason."""
    if not text.strip():
        return []
    # Lines end at "\n" only: a lone "\r" (or any other Unicode line break) is part of a line's text.
    lines = [ln + "\n" for ln in (text[:-1] if text.endswith("\n") else text).split("\n")]
    sections = _sections(lines)
    if not sections:
        return _plain_diff(text)
    changes = []
    for section in sections:
        if section[0].startswith(_COMBINED):
            name = section[0].split(" ", 2)[2].rstrip("\n")
            changes.append(FileChange(unquote_git_path(name), None, "modified", skipped=COMBINED_REASON))
            continue
        header = _read_header(section)
        path = header.new or header.old
        if not path:
            changes.append(FileChange("(unnamed file)", None, "modified", skipped="its diff header names no file"))
            continue
        old_path = None if header.added else header.old
        mode = header.new_mode or header.old_mode
        changes.append(_change(path, old_path, _status(header), _hunk_lines(section), mode, header.binary))
    unreadable = [
        c for c in changes if c.skipped and (c.skipped.startswith("its diff") or c.skipped == COMBINED_REASON)
    ]
    if changes and len(unreadable) == len(changes):
        raise MalformedDiffError(f"{code_span(changes[0].path)}: {changes[0].skipped}")
    return changes


def decode_diff(data: bytes) -> str:
    """A diff file's text. Read it as bytes: text mode would end lines at a lone carriage return.
    Windows leaves two marks a diff must survive: PowerShell's `git diff > file` writes UTF-16 with
    a byte-order mark, and an editor or checkout may end every line of the file with CRLF (then the
    headers end with CR too, and one CR per line is the file's, not the code's)."""
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            text = data[len(bom) :].decode(codec, "replace")
            break
    else:
        text = data.decode("utf-8", "replace")
    lines = text.split("\n")
    headers = [ln for ln in lines if ln.startswith(("diff --git ", "+++ ", "--- ", "@@ "))]
    if headers and all(ln.endswith("\r") for ln in headers):
        text = "\n".join(ln[:-1] if ln.endswith("\r") else ln for ln in lines)
    return text


EMPTY_BLOB_SHA = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"  # git's id of an empty file


def _why_no_patch(f: dict) -> str:
    """Why GitHub sent no `patch` for a file, in words (it does not say)."""
    status = f.get("status", "modified")
    changes = int(f.get("changes") or 0)
    if status == "renamed" and changes == 0:
        return "rename only"
    if status == "copied" and changes == 0:
        return "copy only"
    if status == "unchanged":
        return "no change"
    if status in ("added", "removed") and f.get("sha") == EMPTY_BLOB_SHA:
        return "empty file"
    if status == "changed":
        return "mode change only"
    if changes > 0:
        return "diff too large for GitHub to show"
    return "binary file (or a change of mode only)"


def parse_pull_files(files: list[dict]) -> list[FileChange]:
    """Parses `/pulls/{n}/files` entries (filename, status, patch, previous_filename, changes, sha)."""
    out = []
    for f in files:
        path = f["filename"]
        status = f.get("status", "modified")
        status = "modified" if status in ("changed", "copied", "unchanged") else status
        old = None if status == "added" else (f.get("previous_filename") or path)
        patch = f.get("patch")
        if patch is None:
            out.append(FileChange(path, old, status, skipped=_why_no_patch(f)))
            continue
        body = [ln + "\n" for ln in (patch[:-1] if patch.endswith("\n") else patch).split("\n")]
        out.append(_change(path, old, status, body, None, False))
    return out
