"""Pull-request reviews: list, read, create (GitHub's validation and its 422 bodies), delete pending.

GitHub creates a review with its comments all or nothing. When a comment's place is not in the
diff it answers 422 with one sentence for the whole request ("Pull request review thread line must
be part of the diff"), never saying which comment: clients must find out for themselves. A review
created without `event` stays PENDING: only its author sees it, and it can be deleted.
"""

from __future__ import annotations

import re

from ...common.gitcmd import GitError, git_text
from .. import shapes
from ..protocol import HttpError, Request, Response, iso, unprocessable, utcnow
from ..pull_diffs import diff_position, hunk_up_to, pull_diff
from . import Room, int_or_404, serves

EVENTS = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}
LINE_NOT_IN_DIFF = "Pull request review thread line must be part of the diff"
PATH_INVALID = "Pull request review thread path is invalid"
START_NOT_IN_HUNK = "Pull request review thread start line must be part of the same hunk as the line."
START_AFTER_END = "Pull request review thread start line must precede the end line."


def anchor_problem(diff, comment: dict) -> str | None:
    """GitHub's sentence for why this review comment cannot be placed, or None when it can."""
    path = comment.get("path")
    if not path:
        return PATH_INVALID
    if not comment.get("body"):
        return "Body can't be blank"
    anchors = diff.anchors.get(path)
    if anchors is None:
        return PATH_INVALID
    if comment.get("subject_type") == "file":
        return None
    if comment.get("line") is None:
        return None if comment.get("position") is not None else LINE_NOT_IN_DIFF
    side = comment.get("side", "RIGHT")
    line = comment["line"]
    if side not in ("LEFT", "RIGHT") or not isinstance(line, int) or line not in anchors[side]:
        return LINE_NOT_IN_DIFF
    start = comment.get("start_line")
    if start is not None:
        if not isinstance(start, int) or start >= line:
            return START_AFTER_END
        if start not in anchors.get(comment.get("start_side", side), set()):
            return START_NOT_IN_HUNK
    return None


class ReviewsRoom(Room):
    def review_obj(self, repo, review: dict) -> dict:
        return shapes.review_json(self.urls, repo, review, self.user_record(review["user"]))

    def _visible(self, review: dict, req: Request) -> bool:
        viewer = req.identity.login.lower() if req.identity else None
        return review.get("state") != "PENDING" or review["user"].lower() == viewer

    def _find(self, repo, number: int, review_id: str) -> dict:
        wanted = int_or_404(review_id)
        with self.fixture.lock:
            found = next((r for r in repo.reviews if r["pull_number"] == number and r["id"] == wanted), None)
        if found is None:
            raise HttpError(404, "Not Found")
        return found

    @serves("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews")
    def reviews(self, req: Request, owner: str, repo: str, pull_number: str) -> Response:
        state = self.repo_or_404(owner, repo, req)
        number = int_or_404(pull_number)
        self.pull_or_404(state, number)
        with self.fixture.lock:
            found = sorted(
                (r for r in state.reviews if r["pull_number"] == number and self._visible(r, req)),
                key=lambda r: r["id"],
            )
        page = self.paginate(req, found)
        page.body = [self.review_obj(state, r) for r in page.body]
        return page

    @serves("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}")
    def review(self, req: Request, owner: str, repo: str, pull_number: str, review_id: str) -> Response:
        state = self.repo_or_404(owner, repo, req)
        found = self._find(state, int_or_404(pull_number), review_id)
        if not self._visible(found, req):
            raise HttpError(404, "Not Found")
        return Response(body=self.review_obj(state, found))

    @serves("DELETE", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}")
    def delete_pending(self, req: Request, owner: str, repo: str, pull_number: str, review_id: str) -> Response:
        ident = self.need_user(req)
        state = self.repo_or_404(owner, repo, req)
        number = int_or_404(pull_number)
        found = self._find(state, number, review_id)
        if found["user"].lower() != ident.login.lower():
            raise HttpError(404, "Not Found")
        if found["state"] != "PENDING":
            raise unprocessable("Can not delete a non-pending pull request review")
        with self.fixture.lock:
            state.reviews.remove(found)
            state.review_comments[:] = [
                c for c in state.review_comments if c.get("pull_request_review_id") != found["id"]
            ]
        return Response(body=self.review_obj(state, found))

    @serves("POST", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews")
    def create(self, req: Request, owner: str, repo: str, pull_number: str) -> Response:
        ident = self.need_user(req)
        state = self.repo_or_404(owner, repo, req)
        number = int_or_404(pull_number)
        pr = self.pull_or_404(state, number)
        payload = req.json()
        event = payload.get("event")
        if event is not None and event not in EVENTS:
            raise unprocessable(f"Event {event} is not a valid event")
        commit_id = payload.get("commit_id") or pr["head_sha"]
        if not re.fullmatch(r"[0-9a-f]{40}", commit_id) or not _commit_exists(state.git_dir, commit_id):
            raise unprocessable("Commit is not part of the pull request")
        with self.fixture.lock:
            pending = any(
                r["pull_number"] == number and r["state"] == "PENDING" and r["user"].lower() == ident.login.lower()
                for r in state.reviews
            )
        if pending:
            raise unprocessable("User can only have one pending review per pull request")
        diff = pull_diff(state.git_dir, pr["base_sha"], commit_id)
        comments = payload.get("comments") or []
        problems = []
        for c in comments:
            problem = anchor_problem(diff, c)
            if problem is None and self.standin.faults.rejected_comment(req.path, c.get("body", "")):
                problem = LINE_NOT_IN_DIFF
            if problem:
                problems.append(problem)
        if problems:
            raise unprocessable(*problems)
        now = iso(utcnow())
        review = {
            "id": self.fixture.new_id(),
            "pull_number": number,
            "user": ident.login,
            "body": payload.get("body", ""),
            "state": EVENTS.get(event, "PENDING"),
            "commit_id": commit_id,
            "submitted_at": now if event else None,
        }
        stored = [
            _stored_comment(self.fixture.new_id(), number, ident.login, commit_id, review, c, diff, now)
            for c in comments
        ]
        self.standin.record_review(state, number, ident.login, review, stored, payload)
        return Response(body=self.review_obj(state, review))


def _stored_comment(cid: int, number: int, login: str, commit_id: str, review: dict, c: dict, diff, now: str):
    side = c.get("side", "RIGHT")
    position = diff_position(diff, c["path"], c.get("line"), side)
    return {
        "id": cid,
        "pull_number": number,
        "user": login,
        "body": c.get("body", ""),
        "path": c["path"],
        "commit_id": commit_id,
        "original_commit_id": commit_id,
        "diff_hunk": hunk_up_to(diff, c["path"], c.get("line"), side),
        "line": c.get("line"),
        "original_line": c.get("line"),
        "side": side,
        "start_line": c.get("start_line"),
        "start_side": c.get("start_side"),
        "original_start_line": c.get("start_line"),
        "pull_request_review_id": review["id"],
        "subject_type": c.get("subject_type", "line"),
        "position": position,
        "original_position": position,
        "created_at": now,
        "updated_at": now,
    }


def _commit_exists(git_dir, sha: str) -> bool:
    try:
        git_text(["cat-file", "-e", f"{sha}^{{commit}}"], git_dir)
        return True
    except GitError:
        return False
