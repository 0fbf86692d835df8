"""Reading a pull request: its head, its changed files (paginated, up to GitHub's 3,000) and,
lazily, the text of changed files at the head commit — kept in memory only. Raw JSON throughout
(github_api/rest.py): a field GitHub leaves out is read as absent, never fetched again."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from urllib.parse import quote

from github import GithubException, UnknownObjectException

from ..common.errors import UserFacingError
from ..common.gitcmd import looks_binary
from ..diffs.patch import FileChange, parse_pull_files
from ..github_api.client import GitHubAccess
from ..github_api.rest import login_of

log = logging.getLogger(__name__)
MAX_FILE_BYTES = 1_000_000
GITHUB_FILES_CAP = 3000  # /pulls/{n}/files lists at most this many files


class PullRequestNotFound(UserFacingError):
    def __init__(self, repo: str, number: int):
        super().__init__(f"I can't find pull request #{number} in {repo}.")


@dataclass
class PullRequestData:
    repo: str
    number: int
    head_sha: str
    author: str
    title: str
    state: str
    changes: list[FileChange]
    _access: GitHubAccess | None = None
    _texts: dict[str, str | None] = field(default_factory=dict)
    base_sha: str | None = None
    merged: bool = False
    changed_files: int | None = None  # GitHub's own count, which /files may not reach

    @property
    def unlisted_files(self) -> int:
        """Files GitHub counts in the pull request but does not list (over its 3,000-file cap)."""
        return max(0, (self.changed_files or 0) - len(self.changes))

    def skip_symlinks(self) -> int:
        """`/files` gives no file modes, so a symbolic link's change looks like a one-line text file
        without a final newline. Such changes are looked up: GitHub's contents answer for a link is
        the link itself (`type: symlink`) or, when it points at a file of the repository, that file
        under its own path. Links are not code to review. Returns how many were found."""
        found = 0
        for change in self.changes:
            if change.skipped or not _looks_like_a_link(change):
                continue
            ref = self.base_sha if change.status == "removed" else self.head_sha
            path = change.old_path if change.status == "removed" else change.path
            content = self._contents(path, ref)
            if isinstance(content, dict) and (content.get("type") == "symlink" or content.get("path") != path):
                change.skipped, change.hunks = "symbolic link", []
                self._texts[change.path] = None
                found += 1
        return found

    def _contents(self, path: str, ref: str | None) -> dict | list | None:
        if self._access is None or not ref:
            return None
        try:
            return self._access.rest.get(f"/repos/{self.repo}/contents/{quote(path)}", f"reading {path}", {"ref": ref})
        except (GithubException, UserFacingError) as exc:
            log.info("no contents for %s: %s", path, type(exc).__name__)
            return None

    def new_file_text(self, path: str) -> str | None:
        """The file at the head commit (None if binary, too large or unreadable)."""
        if path not in self._texts:
            self._texts[path] = None
            content = self._contents(path, self.head_sha)
            if isinstance(content, dict) and content.get("path", path) == path:  # not a link's target
                encoded = content.get("content")
                raw = base64.b64decode(encoded or "") if content.get("encoding") == "base64" else b""
                if raw and not looks_binary(raw) and len(raw) <= MAX_FILE_BYTES:
                    self._texts[path] = raw.decode("utf-8", "replace")
        return self._texts[path]


def load_pull_request(access: GitHubAccess, repo_name: str, number: int) -> PullRequestData:
    rest = access.rest
    try:
        pr = rest.get(f"/repos/{repo_name}/pulls/{number}", f"reading pull request #{number}")
    except UnknownObjectException:
        raise PullRequestNotFound(repo_name, number) from None
    files = [
        f for page in rest.pages(f"/repos/{repo_name}/pulls/{number}/files", "listing changed files") for f in page
    ]
    pull = PullRequestData(
        repo_name,
        number,
        pr["head"]["sha"],
        login_of(pr.get("user")),
        pr.get("title") or "",
        pr.get("state") or "open",
        parse_pull_files(files),
        access,
        base_sha=pr["base"]["sha"],
        merged=bool(pr.get("merged") or pr.get("merged_at")),
        changed_files=pr.get("changed_files"),
    )
    pull.skip_symlinks()
    return pull


def _looks_like_a_link(change: FileChange) -> bool:
    """One line on the side that exists, with no newline after it: what a symlink's diff is."""
    side = "-" if change.status == "removed" else "+"
    lines = [ln for h in change.hunks for ln in h.lines if ln.kind == side]
    return len(lines) == 1 and bool(change.hunks) and change.hunks[-1].no_newline_at_end
