"""Every chunk of the pull requests the reviewer reviewed, marked with whether they commented on it,
and every changed line they read and left alone.

Rows with `level == "chunk"` measure *when* the reviewer comments (did they comment on this hunk
at all); rows with `level == "line"` are the lines of reviewed hunks they passed over in silence,
which teach the retrieval index and the model where *not* to comment. Diffs
are computed locally from the mirror, as GitHub computes them: the reviewed head is the commit
most of the reviewer's comments were written on, and the diff starts at the merge base of that head
and the pull request's base SHA (from the pull-request list: a PR may target any branch). Only
when the list did not give the base is it guessed from the default branch.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from ..diffs.chunks import chunk_changes
from ..diffs.patch import MalformedDiffError, parse_diff
from ..reviews.anchors import candidate_lines
from .code_context import Window, anchor_text, comment_lines, comment_position, hunk_window
from .mirror import COMMIT, RepoMirror

CHUNK_COLUMNS = [
    "level",
    "chunk_id",
    "pull_number",
    "path",
    "language",
    "head_sha",
    "hunk",
    "side",
    "focus_line",
    "start_line",
    "code",
    "commented",
    "comment_ids",
    # The whole chunk as diff text and its file's status (added, modified, renamed, deleted): what the
    # where-model (where/) reads of a hunk, the same whether or not a comment cut `hunk` short.
    "chunk_text",
    "file_status",
]


def pull_base(mirror: RepoMirror, head: str, default_branch: str) -> str | None:
    branch = f"refs/heads/{default_branch}"
    if mirror.git("merge-base", "--is-ancestor", head, branch) is None:
        return mirror.git("merge-base", head, branch)  # not merged (or squashed): the fork point
    chain = mirror.git("rev-list", "--first-parent", "--ancestry-path", f"{head}..{branch}")
    if not chain:
        return mirror.git("rev-parse", f"{head}^1")
    merge = chain.split("\n")[-1]  # the first commit on the default branch that contains head
    return mirror.git("merge-base", f"{merge}^1", head)


class _Files:
    """File lines per (sha, path), read once."""

    def __init__(self, mirror: RepoMirror, max_bytes: int):
        self.mirror, self.max_bytes, self.cache = mirror, max_bytes, {}

    def lines(self, sha: str, path: str) -> list[str] | None:
        if (sha, path) not in self.cache:
            data = self.mirror.read(sha, path)
            ok = data is not None and b"\0" not in data[:8000] and len(data) <= self.max_bytes
            self.cache[(sha, path)] = data.decode("utf-8", "replace").split("\n") if ok else None
        return self.cache[(sha, path)]


def _window(files: _Files, sha: str, path: str, focus: int, window: int) -> Window | None:
    lines = files.lines(sha, path)
    if lines is None:
        return None
    start = max(1, focus - window // 2)
    return Window("ok", sha, focus, start, "\n".join(lines[start - 1 : min(len(lines), start + window)]))


def _at(chunk, files: _Files, head: str, base: str, side: str, focus: int, window: int) -> dict:
    """The prompt fields (hunk up to the line, code window) for one line of a chunk."""
    focus_diff_line = next(
        (ln for ln in chunk.lines if (ln.new_no if side == "RIGHT" else ln.old_no) == focus), chunk.lines[-1]
    )
    hunk = chunk.text(up_to=focus_diff_line)
    w = _window(files, head if side == "RIGHT" else base, chunk.path, focus, window) or hunk_window(hunk, side, window)
    return {"hunk": hunk, "side": side, "focus_line": focus, "start_line": w.start_line, "code": w.code}


def _line_with_text(chunk, comment: dict) -> int | None:
    """The line of `chunk` (on the comment's side) that reads what the comment sat on, if any."""
    side = comment["side"] or "RIGHT"
    text = (anchor_text(comment["diff_hunk"], side) or "").rstrip()
    if not text.strip():
        return None
    for line in chunk.lines:
        if line.kind in ("+ " if side == "RIGHT" else "- ") and line.text.rstrip() == text:
            return line.new_no if side == "RIGHT" else line.old_no
    return None


def reviewed_pull_chunks(
    mirror: RepoMirror,
    reviewer_comments: pd.DataFrame,
    default_branch: str,
    pulls: dict[int, dict] | None = None,
    *,
    window: int = 20,
    max_bytes: int = 2_000_000,
    max_changed: int = 12,
) -> pd.DataFrame:
    rows = []
    files = _Files(mirror, max_bytes)
    line_comments = reviewer_comments[
        (reviewer_comments["in_reply_to_id"].isna()) & (reviewer_comments["subject_type"] != "file")
    ]
    pulls = pulls or {}
    mirror.fetch_commits(
        {c for c in line_comments["original_commit_id"].dropna()} | set(line_comments["commit_id"].dropna())
    )
    gone = mirror.gone[COMMIT]
    reviewed = []
    for number, group in line_comments.groupby("pull_number"):
        placed = [(c, *comment_position(c, gone)) for c in group.to_dict("records")]
        head = Counter(sha for _, sha, _ in placed if sha not in gone).most_common(1)
        base_sha = pulls.get(int(number), {}).get("base_sha")
        head = head[0][0] if head else None
        base = None
        if head:
            base = mirror.merge_base(base_sha, head) if base_sha else pull_base(mirror, head, default_branch)
        if base:
            reviewed.append((number, placed, head, base, mirror.changed_files(base, head)))
        else:
            mirror.passes_without_diff.append(int(number))  # the reviewed commit (or its base) is gone
    # Both sides of every changed file, fetched in a few batches before any diff reads them.
    mirror.prefetch({oid for *_, changed in reviewed for _, old, new in changed for oid in (old, new)})
    for number, placed, head, base, changed in reviewed:
        # A file version GitHub no longer has costs that file's hunks, not the pull request.
        unreadable = sorted(mirror.missing_blobs(changed))
        mirror.left_out += [(int(number), path) for path in unreadable]
        excluded = [f":(exclude,literal){path}" for path in unreadable]
        diff = mirror.git(
            "diff", "-M", "--no-color", "--no-ext-diff", base, head, "--", *([":/"] if excluded else []), *excluded
        )
        if diff is None:
            mirror.passes_without_diff.append(int(number))
            continue
        try:
            chunks = chunk_changes(parse_diff(diff + "\n"), max_changed=max_changed)
        except MalformedDiffError:
            mirror.passes_without_diff.append(int(number))
            continue
        on_head = [(c, line) for c, sha, line in placed if sha == head and line is not None]
        # Comments written at another commit of the PR: their line numbers mean nothing at this head,
        # so they are placed by the text of the line they sat on. Every hunk of the head's diff is
        # kept (the evaluation judges a pull request by all of them); a hunk holding no such line is
        # a silence, but its lines teach silence only where no comment of theirs sat on the file.
        elsewhere_comments = [c for c, sha, line in placed if sha != head or line is None]
        elsewhere = {c["path"] for c in elsewhere_comments}
        for chunk in chunks:
            hits = [
                (c, line)
                for c, line in on_head
                if c["path"] == chunk.path
                and any(chunk.covers(n, c["side"] or "RIGHT") for n in comment_lines(c, gone))
            ]
            if not hits and chunk.path in elsewhere:
                hits = [
                    (c, line)
                    for c in elsewhere_comments
                    if c["path"] == chunk.path
                    for line in [_line_with_text(chunk, c)]
                    if line is not None
                ]
            commented_lines = {(c["side"] or "RIGHT", n) for c, _ in hits for n in comment_lines(c, gone)}
            side = "RIGHT" if chunk.added else "LEFT"
            if hits:
                focus, side = hits[0][1], hits[0][0]["side"] or "RIGHT"
            else:
                last = (chunk.added or chunk.removed)[-1]
                focus = last.new_no if side == "RIGHT" else last.old_no
            base_row = {
                "pull_number": int(number),
                "path": chunk.path,
                "language": chunk.language,
                "head_sha": head,
                "chunk_id": f"{number}:{chunk.path}:{chunk.hunk_index}:{chunk.chunk_index}",
                "chunk_text": chunk.text(),
                "file_status": chunk.status,
            }
            rows.append(
                {
                    **base_row,
                    **_at(chunk, files, head, base, side, focus, window),
                    "level": "chunk",
                    "commented": bool(hits),
                    "comment_ids": [int(c["id"]) for c, _ in hits],
                }
            )
            for line in candidate_lines(chunk):
                line_side = "LEFT" if line.kind == "-" else "RIGHT"
                number_ = line.new_no if line_side == "RIGHT" else line.old_no
                if (line_side, number_) in commented_lines or (chunk.path in elsewhere and hits):
                    continue  # commented, or beside a comment written at another commit: not silence
                rows.append(
                    {
                        **base_row,
                        **_at(chunk, files, head, base, line_side, number_, window),
                        "level": "line",
                        "commented": False,
                        "comment_ids": [],
                    }
                )
    df = pd.DataFrame(rows, columns=CHUNK_COLUMNS)
    df["start_line"] = df["start_line"].astype("Int64")
    return df


def reviewed_hunks(chunks: pd.DataFrame) -> pd.Series:
    """Whether the reviewer commented on each diff hunk (a hunk is split into chunks of a few changed
    lines; the data's counts, and GitHub's, are by hunk), indexed by (pull request, path, hunk)."""
    rows = chunks[chunks["level"] == "chunk"]
    if rows.empty:
        return pd.Series(dtype=bool)
    hunk = rows["chunk_id"].str.rsplit(":", n=1).str[0]
    return rows.groupby(hunk)["commented"].any()
