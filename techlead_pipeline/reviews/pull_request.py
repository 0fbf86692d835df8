"""Reading a pull request through PyGithub: its head, its changed files (paginated, up to GitHub's
3,000) and, lazily, the text of changed files at the head commit — kept in memory only."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field

from github import GithubException, UnknownObjectException

from ..diffs.patch import FileChange, parse_pull_files
from ..errors import UserFacingError
from ..github_api.client import GitHubAccess
from ..github_api.reads import with_transient_retry

log = logging.getLogger(__name__)
MAX_FILE_BYTES = 1_000_000


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
    api_calls: int = 0

    def new_file_text(self, path: str) -> str | None:
        """The file at the head commit (None if binary, too large or unreadable)."""
        if path not in self._texts:
            self._texts[path] = None
            if self._access is not None:
                try:
                    repo = self._access.client.get_repo(self.repo, lazy=True)
                    content = with_transient_retry(
                        f"reading {path}", lambda: repo.get_contents(path, ref=self.head_sha)
                    )
                    self.api_calls += 1
                    raw = (
                        base64.b64decode(content.content or "") if getattr(content, "encoding", "") == "base64" else b""
                    )
                    if raw and b"\0" not in raw[:8000] and len(raw) <= MAX_FILE_BYTES:
                        self._texts[path] = raw.decode("utf-8", "replace")
                except (GithubException, UserFacingError) as exc:
                    log.info("no head text for %s: %s", path, type(exc).__name__)
        return self._texts[path]


def load_pull_request(access: GitHubAccess, repo_name: str, number: int) -> PullRequestData:
    gh = access.client
    repo = gh.get_repo(repo_name, lazy=True)
    try:
        pr = with_transient_retry(f"reading pull request #{number}", lambda: repo.get_pull(number))
    except UnknownObjectException:
        raise PullRequestNotFound(repo_name, number) from None
    files = with_transient_retry(
        "listing changed files",
        lambda: [
            {"filename": f.filename, "status": f.status, "patch": f.patch, "previous_filename": f.previous_filename}
            for f in pr.get_files()
        ],
    )
    return PullRequestData(
        repo_name,
        number,
        pr.head.sha,
        pr.user.login if pr.user else "ghost",
        pr.title,
        pr.state,
        parse_pull_files(files),
        access,
        api_calls=1 + max(1, -(-len(files) // 100)),
    )
