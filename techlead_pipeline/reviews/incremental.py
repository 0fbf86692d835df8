"""Which hunks a review looks at: all of them the first time; after that, only what changed since the
head the bot last reviewed, through GitHub's compare endpoint (`GET /compare/{last}...{head}`).

* `--full` (or no earlier review by the bot): the whole diff.
* The last reviewed head is an ancestor of the head (compare says `ahead`): the hunks of the pull
  request's diff whose new-side lines meet a line the compare's diff changed.
* Anything else (`diverged` or `behind` after a force-push, or the old head gone: 404): the whole
  diff, and the summary says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from github import GithubException

from ..diffs.chunks import Chunk
from ..diffs.patch import parse_pull_files
from ..github_api.client import GitHubAccess
from ..github_api.rest import login_of

COMPARE_FILES_CAP = 300  # GitHub's compare answer lists at most this many files
ALL_LINES = None  # a file the compare lists without a patch (binary, too large): every line counts


@dataclass
class ReviewScope:
    since: str | None = None  # the head last reviewed; None: the whole diff
    changed: dict[str, set[int] | None] = field(default_factory=dict)  # path -> new-side lines changed since
    commits: list[str] = field(default_factory=list)  # the commits looked at (since..head)
    note: str = ""  # for the summary

    @property
    def whole_diff(self) -> bool:
        return self.since is None

    def covers(self, chunk: Chunk) -> bool:
        """Does this hunk of the pull request's diff hold a line changed since the last review?"""
        if self.whole_diff:
            return True
        if chunk.path not in self.changed:
            return False
        lines = self.changed[chunk.path]
        if lines is ALL_LINES:
            return True
        new_side = [ln.new_no for ln in chunk.lines if ln.new_no is not None]
        if not new_side:  # a deletion: where it sits on the new side
            return bool(lines)
        low, high = min(new_side), max(new_side)
        return any(low <= n <= high for n in lines)


def short(sha: str) -> str:
    return f"`{sha[:7]}`"


def last_reviewed_head(reviews: list[dict], own_login: str) -> str | None:
    """The commit of the bot's newest submitted review on the pull request (reviews list oldest first)."""
    me = own_login.lower()
    mine = [r for r in reviews if login_of(r.get("user")).lower() == me and r.get("state") != "PENDING"]
    return mine[-1].get("commit_id") if mine else None


def changed_lines(files: list[dict]) -> dict[str, set[int] | None]:
    """New-side lines each file of a compare's diff touches: added lines, and where deletions sit."""
    out: dict[str, set[int] | None] = {}
    for change in parse_pull_files(files):
        if change.skipped or not change.hunks:
            out[change.path] = ALL_LINES if change.status != "removed" else set()
            continue
        lines: set[int] = set()
        for hunk in change.hunks:
            for i, ln in enumerate(hunk.lines):
                if ln.kind == "+":
                    lines.add(ln.new_no)
                elif ln.kind == "-":  # a deletion sits before the next new-side line
                    after = next((x.new_no for x in hunk.lines[i:] if x.new_no is not None), hunk.new_start)
                    lines.add(after)
        out[change.path] = lines
    return out


def review_scope(access: GitHubAccess, repo: str, head: str, reviews: list[dict], full: bool = False) -> ReviewScope:
    if full:
        return ReviewScope(note="A full review, as asked (`--full`).")
    since = last_reviewed_head(reviews, access.own_login)
    if since is None:
        return ReviewScope()
    if since == head:
        return ReviewScope(
            since,
            {},
            [],
            f"No new commits since my last review (at {short(head)}); say `--full` to review it all again.",
        )
    try:
        compare = access.rest.get(f"/repos/{repo}/compare/{since}...{head}", "comparing with my last review")
    except GithubException as exc:
        if exc.status not in (404, 422):
            raise
        compare = {"status": "missing"}
    if compare.get("status") != "ahead":
        return ReviewScope(
            note=f"The branch was rewritten since my last review (at {short(since)}, no longer an ancestor of "
            f"{short(head)}: a force-push?), so I reviewed the whole diff again."
        )
    if len(compare.get("files") or []) >= COMPARE_FILES_CAP:
        return ReviewScope(
            note=f"More files changed since my last review (at {short(since)}) than GitHub's comparison lists, "
            "so I reviewed the whole diff."
        )
    commits = [c["sha"] for c in compare.get("commits") or []]
    listed = ", ".join(short(c) for c in commits[:10]) + (", …" if len(commits) > 10 else "")
    return ReviewScope(
        since,
        changed_lines(compare.get("files") or []),
        commits,
        f"Reviewed what changed since my last review (at {short(since)}): "
        f"{len(commits)} commit{'s' if len(commits) != 1 else ''} ({listed}); say `--full` to review it all.",
    )
