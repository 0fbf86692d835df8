"""The code around each review comment, read from a private local mirror of the repository.

The mirror is a partial clone (`--filter=blob:none`): one `git fetch` brings the commits and trees
of every branch and pull-request head, and no file contents. The contents the comments need — the
commented files at the commits the reviewer saw, the files the reviewed pull requests changed — are
then fetched in a few batches by object id, so what crosses the network grows with the files
commented on, not with the repository. Commits no ref reaches any more (force-pushed away) are
fetched by SHA; a file GitHub cannot give over git is read through the contents API as a last
resort, at most once per (sha, path). File text is read locally (`git cat-file --batch`).

The window is found where the reviewer saw it: the file at the comment's original commit, at its
original line (the old side of the diff for LEFT comments). When that line no longer holds the
commented text (lines moved), the nearest line that does is used; when the file cannot be read
(deleted, binary, too large, gone), the diff hunk itself is the context.
"""

from __future__ import annotations

import base64
import logging
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pandas as pd
from github import GithubException

from ..common.errors import UserFacingError
from ..common.gitcmd import BlobReader, GitError, git_env, git_text, looks_binary, run_git
from ..github_api.client import GitHubAccess
from .languages import language_for

log = logging.getLogger(__name__)

CONTEXT_COLUMNS = ["comment_id", "status", "path", "language", "sha", "focus_line", "start_line", "code"]


class RepoMirror:
    """A bare mirror in a private temporary folder; delete it with `close()` (or `with`)."""

    BATCH = 4000  # object ids per batched fetch

    def __init__(self, access: GitHubAccess, parent: Path | None = None):
        self.access = access
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix="mirror-", dir=parent))
        self.git_dir = self.root / "repo.git"
        self._reader: BlobReader | None = None
        self.fetches = 0
        self.api_reads = 0
        self.blobs_fetched = 0
        self._api_cache: dict[tuple[str, str], bytes | None] = {}
        self._old_sides: dict[tuple[str, str | None], str] = {}

    def _env(self) -> dict:
        return git_env(config=self.access.git_config())

    def fetch_all(self, default_branch: str | None = None, pulls: Iterable[int] | None = None) -> None:
        """Commits and trees, no file contents (a partial clone whose promisor is GitHub: a blob read
        later that was not fetched comes on demand). Of every branch and pull-request head, or, given
        `pulls`, of the default branch and those pull requests' heads only: what the comments read."""
        run_git(["init", "-q", "--bare", str(self.git_dir)])
        for key, value in (
            ("remote.origin.url", self.access.clone_url()),  # no credentials in it: they go in a header
            ("remote.origin.promisor", "true"),
            ("remote.origin.partialclonefilter", "blob:none"),
            ("core.repositoryformatversion", "1"),
            ("extensions.partialClone", "origin"),
        ):
            run_git(["config", key, value], self.git_dir)
        if pulls is None:
            refspecs = ["+refs/heads/*:refs/heads/*", "+refs/pull/*/head:refs/pull/*/head"]
        else:
            refspecs = [f"+refs/pull/{int(n)}/head:refs/pull/{int(n)}/head" for n in sorted(set(pulls))]
            if default_branch:
                refspecs.insert(0, f"+refs/heads/{default_branch}:refs/heads/{default_branch}")
        if refspecs:
            run_git(
                ["fetch", "-q", "--no-tags", "--filter=blob:none", "origin", "--stdin"],
                self.git_dir,
                input="\n".join(refspecs).encode() + b"\n",
                env=self._env(),
            )
            self.fetches += 1

    def prefetch(self, oids: set[str]) -> None:
        """File contents by object id, in a few batched fetches (not one request per file)."""
        missing = sorted(o for o in oids if o and set(o) != {"0"})
        for start in range(0, len(missing), self.BATCH):
            batch = missing[start : start + self.BATCH]
            try:
                run_git(
                    [
                        "-c",
                        "fetch.negotiationAlgorithm=noop",
                        "fetch",
                        "-q",
                        "origin",
                        "--no-tags",
                        "--no-write-fetch-head",
                        "--recurse-submodules=no",
                        "--filter=blob:none",
                        "--stdin",
                    ],
                    self.git_dir,
                    input="\n".join(batch).encode() + b"\n",
                    env=self._env(),
                )
                self.fetches += 1
                self.blobs_fetched += len(batch)
            except GitError as exc:
                log.warning("could not fetch %d file versions: %s", len(batch), exc)
        self._close_reader()

    def blob_ids(self, wanted: dict[str, set[str]]) -> set[str]:
        """Object ids of `path`s at `commit`s ({commit: paths}), read from trees alone."""
        out: set[str] = set()
        for commit, paths in wanted.items():
            paths = sorted(p for p in paths if p)
            for start in range(0, len(paths), 500):
                try:
                    raw = run_git(["ls-tree", "-z", commit, "--", *paths[start : start + 500]], self.git_dir)
                except GitError:
                    continue
                for entry in raw.split(b"\0"):
                    meta = entry.split(b"\t", 1)[0].split()
                    if len(meta) == 3 and meta[1] == b"blob":
                        out.add(meta[2].decode())
        return out

    def changed_blob_ids(self, base: str, head: str) -> set[str]:
        """Object ids of both sides of every file `head` changed since `base` (trees alone, no renames)."""
        try:
            raw = run_git(["diff", "--raw", "-z", "--no-renames", "--no-abbrev", base, head], self.git_dir)
        except GitError:
            return set()
        out = set()
        for field in raw.split(b"\0"):
            if field.startswith(b":"):
                parts = field.split()
                out.update({parts[2].decode(), parts[3].decode()})
        return out

    def has_commit(self, sha: str) -> bool:
        try:
            run_git(["cat-file", "-e", f"{sha}^{{commit}}"], self.git_dir)
            return True
        except GitError:
            return False

    def fetch_commits(self, shas: set[str]) -> None:
        """One extra fetch for commits no ref reaches any more (GitHub serves them by SHA)."""
        missing = sorted(s for s in shas if s and not self.has_commit(s))
        if not missing:
            return
        try:
            run_git(
                ["fetch", "-q", "--no-tags", "--filter=blob:none", "origin", *missing], self.git_dir, env=self._env()
            )
            self.fetches += 1
        except GitError as exc:
            log.warning("could not fetch %d unreachable commits: %s", len(missing), exc)
        self._close_reader()

    @property
    def reader(self) -> BlobReader:
        if self._reader is None:  # with credentials: a blob not prefetched is fetched on demand
            self._reader = BlobReader(self.git_dir, env=self._env())
        return self._reader

    def read(self, sha: str, path: str) -> bytes | None:
        found = self.reader.read(sha, path)
        if found is not None:
            return found[1] if found[0] == "blob" else None
        if self.has_commit(sha):
            return None  # the commit is here and the path is not: deleted or renamed away
        return self._read_via_api(sha, path)

    def _read_via_api(self, sha: str, path: str) -> bytes | None:
        key = (sha, path)
        if key not in self._api_cache:
            self.api_reads += 1
            try:
                content = self.access.rest.get(
                    f"/repos/{self.access.repo_name}/contents/{quote(path)}", f"reading {path}", {"ref": sha}
                )
                encoded = content.get("content") if isinstance(content, dict) else None
                data = base64.b64decode(encoded) if encoded and content.get("encoding") == "base64" else None
            except (GithubException, UserFacingError):
                data = None
            self._api_cache[key] = data
        return self._api_cache[key]

    def first_parent(self, sha: str) -> str | None:
        try:
            return git_text(["rev-parse", f"{sha}^1"], self.git_dir).strip()
        except GitError:
            return None

    def merge_base(self, a: str, b: str) -> str | None:
        try:
            return git_text(["merge-base", a, b], self.git_dir).strip() or None
        except GitError:
            return None

    def old_side(self, sha: str, base_sha: str | None) -> str:
        """The commit a pull request's diff at `sha` starts from, as GitHub computes it: the merge base
        of the PR's base and `sha` (the parent of `sha` is wrong for a PR of several commits)."""
        key = (sha, base_sha)
        if key not in self._old_sides:
            found = self.merge_base(base_sha, sha) if base_sha else None
            self._old_sides[key] = found or self.first_parent(sha) or sha
        return self._old_sides[key]

    def _close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def close(self) -> None:
        self._close_reader()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "RepoMirror":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class Window:
    status: str
    sha: str | None
    focus_line: int | None
    start_line: int | None
    code: str


def anchor_text(diff_hunk: str, side: str | None) -> str | None:
    """The commented line's text: GitHub cuts `diff_hunk` right after it."""
    lines = [ln for ln in (diff_hunk or "").split("\n") if ln and not ln.startswith("@@") and not ln.startswith("\\")]
    if not lines:
        return None
    last = lines[-1]
    return last[1:] if last[:1] in "+- " else last


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


def comment_position(comment: dict) -> tuple[str | None, int | None]:
    """(commit, line) where the reviewer's comment sits: the line they saw on the commit they saw
    (`original_*`); GitHub may send `original_line: null` with `line` set, which is the line on the
    current `commit_id`."""
    original = comment.get("original_commit_id") or comment.get("commit_id")
    if not _missing(comment.get("original_line")):
        return original, int(comment["original_line"])
    if not _missing(comment.get("line")):
        return comment.get("commit_id") or original, int(comment["line"])
    return original, None


def comment_lines(comment: dict) -> range:
    """Every line a comment covers on its side: a multi-line comment (`start_line` to `line`, or
    their `original_*` pair) covers them all, not only its last one."""
    _, end = comment_position(comment)
    if end is None:
        return range(0)
    use_original = not _missing(comment.get("original_line"))
    start = comment.get("original_start_line") if use_original else comment.get("start_line")
    start = end if _missing(start) or int(start) > end else int(start)
    return range(start, end + 1)


def window_for(mirror: RepoMirror, comment: dict, window: int, max_bytes: int, base_sha: str | None = None) -> Window:
    side = comment.get("side") or "RIGHT"
    hunk = comment.get("diff_hunk") or ""
    path = comment["path"]
    sha, line = comment_position(comment)
    if side == "LEFT" and sha:
        sha = mirror.old_side(sha, base_sha)  # the old side of the pull request's change
    data = mirror.read(sha, path) if sha else None
    if data is None:
        w = hunk_window(hunk, side, window)
        w.status = "file_missing" if hunk else "unavailable"
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
        sha, _ = comment_position(comment)
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
