"""Small stand-in fixtures for the shapes real repositories have and the bundled sample does not:
pull requests based on other branches, several commits, odd file names, comments GitHub sends with
fields missing. History is made with real git; records follow FIXTURE_FORMAT.md."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from techlead_pipeline.github_standin.pull_diffs import diff_position, hunk_up_to, pull_diff

BOT = "tech-lead-bot"
LEAD = "rhea-lead"
AUTHOR = "cody-author"
OUTSIDER = "ola-outsider"
ORG = "octo"


def _git(cwd: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
        "GIT_AUTHOR_DATE": "2025-01-01T00:00:00Z",
        "GIT_COMMITTER_DATE": "2025-01-01T00:00:00Z",
        "PATH": "/usr/bin:/bin:/usr/local/bin",
        "HOME": "/nonexistent",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def _repack_without(bare: Path, lose: set[str]) -> None:
    """Keep only the objects the refs reach, less `lose`, in one pack."""
    listed = _git(bare, "rev-list", "--objects", "--all").splitlines()
    keep = [line.split(" ", 1)[0] for line in listed if line.split(" ", 1)[0] not in lose]
    pack_dir = bare / "objects" / "pack"
    subprocess.run(
        ["git", "pack-objects", "-q", str(bare / "objects" / "keep")],
        cwd=bare,
        input="\n".join(keep) + "\n",
        text=True,
        check=True,
        capture_output=True,
    )
    for old in list(pack_dir.glob("*")) + [p for p in (bare / "objects").glob("??") if p.is_dir()]:
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    for made in (bare / "objects").glob("keep-*"):
        made.rename(pack_dir / made.name.replace("keep-", "pack-"))


class MiniRepo:
    def __init__(self, root: Path, full_name: str = f"{ORG}/widgets"):
        self.root = root
        self.full_name = full_name
        self.work = root / "_work"
        self.work.mkdir(parents=True)
        _git(self.work, "init", "-q", "-b", "main")
        self.pulls: list[dict] = []
        self.review_comments: list[dict] = []
        self.issue_comments: list[dict] = []
        self.reviews: list[dict] = []
        self.pull_refs: dict[int, str] = {}
        self._id = 5_000_000

    def next_id(self) -> int:
        self._id += 1
        return self._id

    def commit(
        self,
        branch: str,
        files: dict[str, str | None],
        message: str = "change",
        start: str | None = None,
        links: dict[str, str] | None = None,
    ) -> str:
        """`files`: path -> text (None deletes it); `links`: path -> the target of a symbolic link."""
        if self._has_head():
            if _git(self.work, "branch", "--list", branch):
                _git(self.work, "checkout", "-q", branch)
            else:
                _git(self.work, "checkout", "-q", "-b", branch, start or "HEAD")
        written: list[str] = []
        removed: list[str] = []
        for path, text in files.items():
            target = self.work / path
            if text is None:
                removed.append(path)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            written.append(path)
        for start in range(0, len(written), 500):  # one git process per 500 files, not per file
            _git(self.work, "add", "--", *written[start : start + 500])
        for start in range(0, len(removed), 500):
            _git(self.work, "rm", "-q", "--", *removed[start : start + 500])
        for path, points_to in (links or {}).items():
            link = self.work / path
            link.parent.mkdir(parents=True, exist_ok=True)
            if link.is_symlink() or link.exists():
                link.unlink()
            os.symlink(points_to, link)
            _git(self.work, "add", path)
        _git(self.work, "commit", "-q", "--allow-empty", "-m", message)
        return _git(self.work, "rev-parse", "HEAD")

    def _has_head(self) -> bool:
        try:
            _git(self.work, "rev-parse", "--verify", "-q", "HEAD")
            return True
        except subprocess.CalledProcessError:
            return False

    def rewind(self, branch: str, to: str) -> None:
        """Force-push `branch` back to `to`: the commits it held stay in the work repository only."""
        _git(self.work, "checkout", "-q", branch)
        _git(self.work, "reset", "-q", "--hard", to)

    def sha(self, ref: str) -> str:
        return _git(self.work, "rev-parse", ref)

    def pull(self, number: int, head: str, base: str, author: str = AUTHOR, **extra) -> dict:
        record = {
            "number": number,
            "title": f"Pull request {number}",
            "body": "",
            "user": author,
            "state": "open",
            "created_at": "2025-01-02T00:00:00Z",
            "updated_at": "2025-01-02T00:00:00Z",
            "closed_at": None,
            "merged_at": None,
            "head_ref": head,
            "head_sha": self.sha(head),
            "base_ref": base,
            "base_sha": self.sha(base),
            "commits": 1,
            **extra,
        }
        self.pulls.append(record)
        self.pull_refs[number] = record["head_sha"]
        return record

    def review_comment(
        self,
        pull: dict,
        user: str,
        body: str,
        path: str,
        line: int,
        side: str = "RIGHT",
        commit: str | None = None,
        **extra,
    ) -> dict:
        commit = commit or pull["head_sha"]
        diff = pull_diff(self.work / ".git", pull["base_sha"], commit)
        record = {
            "id": self.next_id(),
            "pull_number": pull["number"],
            "user": user,
            "body": body,
            "path": path,
            "commit_id": commit,
            "original_commit_id": commit,
            "diff_hunk": hunk_up_to(diff, path, line, side),
            "line": line,
            "original_line": line,
            "side": side,
            "position": diff_position(diff, path, line, side),
            "original_position": diff_position(diff, path, line, side),
            "subject_type": "line",
            "created_at": "2025-01-03T00:00:00Z",
            "updated_at": "2025-01-03T00:00:00Z",
            **extra,
        }
        self.review_comments.append(record)
        return record

    def issue_comment(self, number: int, user: str, body: str, created_at: str = "2025-01-03T00:00:00Z") -> dict:
        record = {
            "id": self.next_id(),
            "issue_number": number,
            "user": user,
            "body": body,
            "created_at": created_at,
            "updated_at": created_at,
        }
        self.issue_comments.append(record)
        return record

    def write(
        self,
        collaborators: dict | None = None,
        users: list[dict] | None = None,
        apps: list | None = None,
        *,
        private: bool = False,
        lose: tuple[str, ...] = (),
    ) -> Path:
        """The fixture. The served repository holds only what its refs reach (a commit force-pushed
        away is gone, as on GitHub), less the objects in `lose` (a blob GitHub no longer has)."""
        owner, name = self.full_name.split("/")
        repo_dir = self.root / "fixture" / "repos" / owner / name
        repo_dir.mkdir(parents=True)
        bare = repo_dir / "repository.git"
        _git(self.root, "clone", "-q", "--bare", str(self.work), str(bare))
        for number, sha in self.pull_refs.items():
            _git(bare, "update-ref", f"refs/pull/{number}/head", sha)
        _repack_without(bare, set(lose))
        users = users or [
            {"login": login, "id": 900 + i, "type": "User"} for i, login in enumerate((LEAD, AUTHOR, OUTSIDER, BOT))
        ] + [{"login": owner, "id": 990, "type": "Organization"}]
        data = {
            "repository.json": {
                "id": 77,
                "default_branch": "main",
                "private": private,
                "created_at": "2025-01-01T00:00:00Z",
            },
            "pulls.json": self.pulls,
            "review_comments.json": self.review_comments,
            "issue_comments.json": self.issue_comments,
            "reviews.json": self.reviews,
            "collaborators.json": collaborators or {LEAD: "admin", AUTHOR: "write", BOT: "write"},
        }
        for file, value in data.items():
            (repo_dir / file).write_text(json.dumps(value, indent=1))
        fixture = self.root / "fixture"
        (fixture / "fixture.json").write_text(
            json.dumps(
                {
                    "repositories": [self.full_name],
                    "users": users,
                    "tokens": {f"ghp_{u['login'].replace('-', '')}": u["login"] for u in users if u["type"] == "User"},
                    "apps": apps or [],
                }
            )
        )
        shutil.rmtree(self.work)
        return fixture
