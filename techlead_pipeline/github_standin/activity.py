"""What users do on the stand-in's GitHub, as tests and the demo script it: comment, edit, review.
Each change is recorded in the fixture as GitHub would keep it and, when the App is installed on
the repository, announced by a signed webhook delivery (installations.py sends them)."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from ..common.gitcmd import git_env, git_text, run_git
from .fixture import RepoState
from .protocol import HttpError, iso, parse_iso, utcnow


class UserActivity:
    """Mixed into GitHubStandin (server.py), whose fixture, rooms and hooks it uses."""

    # ------------------------------------------------------------------ what users do (tests, demo)
    def repo_state(self, full_name: str) -> RepoState:
        state = self.fixture.repo(*full_name.split("/", 1))
        if state is None:
            raise HttpError(404, "Not Found")
        return state

    def add_issue_comment(self, repo: str, number: int, login: str, body: str, created_at=None) -> dict:
        """Adds a comment as if `login` had written it on GitHub (how tests and the demo mention the bot)."""
        return self._new_issue_comment(self.repo_state(repo), number, login, body, created_at, posted_by_api=False)

    def edit_issue_comment(self, repo: str, comment_id: int, body: str) -> dict:
        """Edits a comment as its author would on GitHub: new body, newer `updated_at`."""
        state = self.repo_state(repo)
        with self.fixture.lock:
            record = next(c for c in state.issue_comments if c["id"] == comment_id)
            now = utcnow()
            if iso(now) <= record["updated_at"]:  # GitHub's timestamps have whole seconds
                now = parse_iso(record["updated_at"]) + timedelta(seconds=1)
            previous = record["body"]
            record.update(body=body, updated_at=iso(now))
        self._comment_event(state, record, "edited", {"body": {"from": previous}})
        return record

    def record_issue_comment(self, state: RepoState, number: int, login: str, body: str) -> dict:
        """A comment posted through the API (kept in `posted`, where tests look for the bot's replies)."""
        return self._new_issue_comment(state, number, login, body, None, posted_by_api=True)

    def _new_issue_comment(self, state: RepoState, number: int, login: str, body: str, created_at, posted_by_api: bool):
        when = iso(created_at or utcnow())
        record = {
            "id": self.fixture.new_id(),
            "issue_number": number,
            "user": login,
            "body": body,
            "created_at": when,
            "updated_at": when,
        }
        with self.fixture.lock:
            state.issue_comments.append(record)
            if posted_by_api:
                self.posted.append(
                    {
                        "kind": "issue_comment",
                        "repo": state.full_name,
                        "number": number,
                        "user": login,
                        "comment": record,
                    }
                )
        self._comment_event(state, record, "created")
        return record

    def record_review(
        self, state: RepoState, number: int, login: str, review: dict, comments: list[dict], payload: dict
    ) -> None:
        pending = review["state"] == "PENDING"
        with self.fixture.lock:
            state.reviews.append(review)
            if not pending:
                state.review_comments.extend(comments)
            self.posted.append(
                {
                    "kind": "pending_review" if pending else "review",
                    "repo": state.full_name,
                    "number": number,
                    "user": login,
                    "review": review,
                    "comments": comments,
                    "payload": payload,
                }
            )
        if not pending:
            self._review_events(state, review, comments)

    def add_review(self, repo: str, number: int, login: str, body: str, comments: tuple = ()) -> dict:
        """A review `login` submits on GitHub (how tests mention the bot in a review or its comments)."""
        from .pull_diffs import pull_diff
        from .rooms.reviews import _stored_comment

        state = self.repo_state(repo)
        pr = state.pulls[number]
        now = iso(utcnow())
        review = {
            "id": self.fixture.new_id(),
            "pull_number": number,
            "user": login,
            "body": body,
            "state": "COMMENTED",
            "commit_id": pr["head_sha"],
            "submitted_at": now,
        }
        diff = pull_diff(state.git_dir, pr["base_sha"], pr["head_sha"])
        stored = [
            _stored_comment(self.fixture.new_id(), number, login, pr["head_sha"], review, c, diff, now)
            for c in comments
        ]
        with self.fixture.lock:
            state.reviews.append(review)
            state.review_comments.extend(stored)
        self._review_events(state, review, stored)
        return review

    def reply_to_review_comment(self, repo: str, comment_id: int, login: str, body: str) -> dict:
        """`login` answers a review comment in its thread, as on GitHub (`in_reply_to_id` set)."""
        state = self.repo_state(repo)
        with self.fixture.lock:
            parent = next(c for c in state.review_comments if c["id"] == comment_id)
            now = iso(utcnow())
            reply = {
                **{k: parent.get(k) for k in ("pull_number", "path", "commit_id", "original_commit_id", "diff_hunk")},
                **{k: parent.get(k) for k in ("line", "original_line", "side", "position", "original_position")},
                "id": self.fixture.new_id(),
                "user": login,
                "body": body,
                "in_reply_to_id": comment_id,
                "subject_type": parent.get("subject_type", "line"),
                "created_at": now,
                "updated_at": now,
            }
            state.review_comments.append(reply)
        return reply

    def push_to_pull(
        self, repo: str, number: int, files: dict[str, str], message: str = "more changes", force: bool = False
    ) -> str:
        """A push to the pull request's branch, made with real git in the bare repository: a commit on
        top of its head with `files` written, or with `force` the head rewritten (its last commit
        amended with them, so the old head is no longer an ancestor, as after `git push --force`).
        Returns the new head."""
        state = self.repo_state(repo)
        with self.fixture.lock:
            pr = state.pulls[number]
            head = pr["head_sha"]
            parent = git_text(["rev-parse", f"{head}^"], state.git_dir).strip() if force else head
            with tempfile.TemporaryDirectory(prefix="standin-push-") as tmp:
                env = git_env({"GIT_INDEX_FILE": str(Path(tmp) / "index")})
                run_git(["read-tree", head], state.git_dir, env=env)
                for path, text in files.items():
                    blob = git_text(["hash-object", "-w", "--stdin"], state.git_dir, input=text.encode()).strip()
                    run_git(["update-index", "--add", "--cacheinfo", f"100644,{blob},{path}"], state.git_dir, env=env)
                tree = git_text(["write-tree"], state.git_dir, env=env).strip()
            commit = git_text(["commit-tree", tree, "-p", parent, "-m", message], state.git_dir).strip()
            run_git(["update-ref", f"refs/pull/{number}/head", commit], state.git_dir)
            run_git(["update-ref", f"refs/heads/{pr['head_ref']}", commit], state.git_dir)
            pr["head_sha"] = commit
            pr["updated_at"] = iso(utcnow())
        return commit
