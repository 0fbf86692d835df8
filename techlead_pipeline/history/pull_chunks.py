"""Every chunk of the pull requests the reviewer reviewed, marked with whether they commented on it.

The chunks they passed over in silence teach the model (and measure) *when* to comment. Diffs
are computed locally from the mirror: the reviewed head is the commit most of the reviewer's
comments were written on; its base is where the branch forked from the default branch (for a
merge commit, the fork point before the merge), so no API call is needed per pull request.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from ..diffs.chunks import chunk_changes
from ..diffs.patch import MalformedDiffError, parse_diff
from ..gitcmd import GitError, git_text
from .code_context import RepoMirror, Window, hunk_window

CHUNK_COLUMNS = ["pull_number", "path", "language", "head_sha", "hunk", "side", "focus_line", "start_line",
                 "code", "commented", "comment_ids"]


def _git(mirror: RepoMirror, *args: str) -> str | None:
    try:
        return git_text(list(args), mirror.git_dir).strip()
    except GitError:
        return None


def pull_base(mirror: RepoMirror, head: str, default_branch: str) -> str | None:
    branch = f"refs/heads/{default_branch}"
    if _git(mirror, "merge-base", "--is-ancestor", head, branch) is None:
        return _git(mirror, "merge-base", head, branch)  # not merged (or squashed): the fork point
    chain = _git(mirror, "rev-list", "--first-parent", "--ancestry-path", f"{head}..{branch}")
    if not chain:
        return _git(mirror, "rev-parse", f"{head}^1")
    merge = chain.split("\n")[-1]  # the first commit on the default branch that contains head
    return _git(mirror, "merge-base", f"{merge}^1", head)


def _window(mirror: RepoMirror, sha: str, path: str, focus: int, window: int, max_bytes: int) -> Window | None:
    data = mirror.read(sha, path)
    if data is None or b"\0" in data[:8000] or len(data) > max_bytes:
        return None
    lines = data.decode("utf-8", "replace").split("\n")
    start = max(1, focus - window // 2)
    return Window("ok", sha, focus, start, "\n".join(lines[start - 1: min(len(lines), start + window)]))


def reviewed_pull_chunks(mirror: RepoMirror, reviewer_comments: pd.DataFrame, default_branch: str, *,
                         window: int = 20, max_bytes: int = 2_000_000, max_changed: int = 12) -> pd.DataFrame:
    rows = []
    line_comments = reviewer_comments[(reviewer_comments["in_reply_to_id"].isna())
                                      & (reviewer_comments["subject_type"] != "file")]
    for number, group in line_comments.groupby("pull_number"):
        head = Counter(group["original_commit_id"]).most_common(1)[0][0]
        base = pull_base(mirror, head, default_branch)
        if not base:
            continue
        diff = _git(mirror, "diff", "-M", "--no-color", "--no-ext-diff", base, head)
        if diff is None:
            continue
        try:
            chunks = chunk_changes(parse_diff(diff + "\n"), max_changed=max_changed)
        except MalformedDiffError:
            continue
        on_head = group[group["original_commit_id"] == head]
        for chunk in chunks:
            hits = [c for c in on_head.to_dict("records")
                    if c["path"] == chunk.path and not pd.isna(c["original_line"])
                    and chunk.covers(int(c["original_line"]), c["side"] or "RIGHT")]
            side = "RIGHT" if chunk.added else "LEFT"
            if hits:
                focus = int(hits[0]["original_line"])
                side = hits[0]["side"] or "RIGHT"
            else:
                last = (chunk.added or chunk.removed)[-1]
                focus = last.new_no if side == "RIGHT" else last.old_no
            focus_diff_line = next((ln for ln in chunk.lines if (ln.new_no if side == "RIGHT" else ln.old_no) == focus),
                                   chunk.lines[-1])
            hunk = chunk.text(up_to=focus_diff_line)
            w = _window(mirror, head if side == "RIGHT" else base, chunk.path, focus, window, max_bytes) \
                or hunk_window(hunk, side, window)
            rows.append({"pull_number": int(number), "path": chunk.path, "language": chunk.language,
                         "head_sha": head, "hunk": hunk, "side": side, "focus_line": focus,
                         "start_line": w.start_line, "code": w.code, "commented": bool(hits),
                         "comment_ids": [int(c["id"]) for c in hits]})
    df = pd.DataFrame(rows, columns=CHUNK_COLUMNS)
    df["start_line"] = df["start_line"].astype("Int64")
    return df
