"""The code around each review comment, read from a private local mirror of the repository
(history/mirror.py: a blob-less partial clone whose file versions are fetched in a few batches).

The window is found where the reviewer saw it: the file at the comment's original commit, at its
original line (the old side of the diff for LEFT comments). When that commit is gone from GitHub
(force-pushed away) and the comment still sits on the pull request's current commit, it is read
there. When that line no longer holds the commented text (lines moved), the nearest line that does
is used; when the file cannot be read (deleted, binary, too large, gone), the diff hunk itself is
the context.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..common.gitcmd import looks_binary
from .languages import language_for
from .mirror import COMMIT, RepoMirror

__all__ = ["RepoMirror", "Window", "extract_contexts", "window_for"]

CONTEXT_COLUMNS = ["comment_id", "status", "path", "language", "sha", "focus_line", "start_line", "code"]


@dataclass
class Window:
    status: str
    sha: str | None
    focus_line: int | None
    start_line: int | None
    code: str


def commented_diff_line(diff_hunk) -> str | None:
    """The commented line as the diff shows it, its `+`, `-` or ` ` first: GitHub cuts `diff_hunk`
    right after it."""
    lines = [ln for ln in str(diff_hunk or "").split("\n") if ln and not ln.startswith(("@@", "\\"))]
    return lines[-1] if lines else None


def anchor_text(diff_hunk: str, side: str | None) -> str | None:
    """The commented line's text."""
    last = commented_diff_line(diff_hunk)
    if last is None:
        return None
    return last[1:] if last[:1] in "+- " else last


def on_unchanged_line(diff_hunk) -> bool | None:
    """Whether a comment sat on a line the pull request did not change (a context line of its diff)."""
    last = commented_diff_line(diff_hunk)
    return None if last is None else last[:1] == " "


def hunk_window(diff_hunk: str, side: str | None, window: int) -> Window:
    """The context when the file itself is unavailable: the side's lines of the hunk."""
    keep = "-" if side == "LEFT" else "+"
    lines = [ln[1:] for ln in (diff_hunk or "").split("\n")[1:] if ln[:1] in (keep, " ")]
    lines = lines[-window:]
    return Window("hunk_only", None, None, None, "\n".join(lines))


def _locate(lines: list[str], expected: int | None, anchor: str | None) -> tuple[int | None, str]:
    if expected and 1 <= expected <= len(lines) and (anchor is None or lines[expected - 1].rstrip() == anchor.rstrip()):
        return expected, "ok"
    if anchor is None or not anchor.strip():
        return None, "line_not_found"
    hits = [i for i, text in enumerate(lines, 1) if text.rstrip() == anchor.rstrip()]
    if not hits:
        return None, "line_not_found"
    return min(hits, key=lambda i: abs(i - (expected or 0))), "moved"


def _missing(value) -> bool:
    return value is None or bool(pd.isna(value))


def _on_current_commit(comment: dict, gone: set[str]) -> bool:
    """Whether to place the comment by `commit_id`/`line`: GitHub sent no `original_line`, or the
    commit the reviewer saw is gone (force-pushed away) and the comment still sits on the current one."""
    original = comment.get("original_commit_id") or comment.get("commit_id")
    if _missing(comment.get("line")):
        return False
    if _missing(comment.get("original_line")):
        return True
    return original in gone and comment.get("commit_id") not in gone and comment.get("commit_id") != original


def comment_position(comment: dict, gone: set[str] = frozenset()) -> tuple[str | None, int | None]:
    """(commit, line) where the reviewer's comment sits: the line they saw on the commit they saw
    (`original_*`); GitHub may send `original_line: null` with `line` set, which is the line on the
    current `commit_id` (used too when the original commit is `gone`)."""
    original = comment.get("original_commit_id") or comment.get("commit_id")
    if _on_current_commit(comment, gone):
        return comment.get("commit_id") or original, int(comment["line"])
    if not _missing(comment.get("original_line")):
        return original, int(comment["original_line"])
    return original, None


def comment_lines(comment: dict, gone: set[str] = frozenset()) -> range:
    """Every line a comment covers on its side: a multi-line comment (`start_line` to `line`, or
    their `original_*` pair) covers them all, not only its last one."""
    _, end = comment_position(comment, gone)
    if end is None:
        return range(0)
    current = _on_current_commit(comment, gone)
    start = comment.get("start_line") if current else comment.get("original_start_line")
    start = end if _missing(start) or int(start) > end else int(start)
    return range(start, end + 1)


def window_for(mirror: RepoMirror, comment: dict, window: int, max_bytes: int, base_sha: str | None = None) -> Window:
    side = comment.get("side") or "RIGHT"
    hunk = comment.get("diff_hunk") or ""
    path = comment["path"]
    sha, line = comment_position(comment, mirror.gone[COMMIT])
    if side == "LEFT" and sha:
        sha = mirror.old_side(sha, base_sha)  # the old side of the pull request's change
    data = mirror.read(sha, path) if sha else None
    if data is None:
        w = hunk_window(hunk, side, window)
        w.status = (mirror.why_unreadable(sha, path) if sha else None) or ("file_missing" if hunk else "unavailable")
        return w
    if looks_binary(data):
        return Window("binary", sha, None, None, "")
    if len(data) > max_bytes:
        w = hunk_window(hunk, side, window)
        w.status = "too_large"
        return w
    text = data.decode("utf-8", "replace")
    lines = text.split("\n")
    if comment.get("subject_type") == "file" or line is None and not hunk:
        return Window("file_level", sha, None, 1, "\n".join(lines[:window]))
    focus, status = _locate(lines, line, anchor_text(hunk, side))
    if focus is None:
        w = hunk_window(hunk, side, window)
        w.status = status
        return w
    half = window // 2
    start = max(1, focus - half)
    end = min(len(lines), start + window)
    return Window(status, sha, focus, start, "\n".join(lines[start - 1 : end]))


def extract_contexts(
    mirror: RepoMirror,
    comments: pd.DataFrame,
    pulls: dict[int, dict] | None = None,
    *,
    window: int = 20,
    max_bytes: int = 2_000_000,
) -> pd.DataFrame:
    """One row per comment: where its window came from and the code in it. `pulls` gives each pull
    request's base (history/comments.py: pull_request_refs)."""
    pulls = pulls or {}
    shas = set(comments["original_commit_id"].dropna()) | set(comments["commit_id"].dropna())
    shas |= {p["base_sha"] for p in pulls.values() if p.get("base_sha")}
    mirror.fetch_commits(shas)
    wanted: dict[str, set[str]] = {}
    for comment in comments.to_dict("records"):  # the file versions the windows will read, in one go
        sha, _ = comment_position(comment, mirror.gone[COMMIT])
        if (comment.get("side") or "RIGHT") == "LEFT" and sha:
            sha = mirror.old_side(sha, pulls.get(int(comment["pull_number"]), {}).get("base_sha"))
        if sha:
            wanted.setdefault(sha, set()).add(comment["path"])
    mirror.prefetch(mirror.blob_ids(wanted))
    rows = []
    for comment in comments.to_dict("records"):
        base = pulls.get(int(comment["pull_number"]), {}).get("base_sha")
        w = window_for(mirror, comment, window, max_bytes, base)
        rows.append(
            {
                "comment_id": comment["id"],
                "status": w.status,
                "path": comment["path"],
                "language": language_for(comment["path"]),
                "sha": w.sha,
                "focus_line": w.focus_line,
                "start_line": w.start_line,
                "code": w.code,
            }
        )
    df = pd.DataFrame(rows, columns=CONTEXT_COLUMNS)
    df["focus_line"] = df["focus_line"].astype("Int64")
    df["start_line"] = df["start_line"].astype("Int64")
    return df
