"""Issues (pull requests are issues too), their conversation comments, and issue search."""

from __future__ import annotations

from .. import shapes
from ..protocol import HttpError, Request, Response, validation_failed
from . import Room, int_or_404, serves


class IssuesRoom(Room):
    def issue_obj(self, repo, pr: dict) -> dict:
        return shapes.issue_json(self.urls, repo, pr, self.user(pr["user"]))

    def comment_objs(self, repo, comments: list[dict]) -> list[dict]:
        return [
            shapes.issue_comment_json(self.urls, repo, c, self.user_record(c["user"]) if c["user"] else None)
            for c in comments
        ]

    @serves("GET", "/repos/{owner}/{repo}/issues/{issue_number}")
    def issue(self, req: Request, owner: str, repo: str, issue_number: str) -> Response:
        state = self.repo_or_404(owner, repo, req)
        return Response(body=self.issue_obj(state, self.pull_or_404(state, issue_number)))

    @serves("GET", "/repos/{owner}/{repo}/issues/comments")
    def repo_comments(self, req: Request, owner: str, repo: str) -> Response:
        state = self.repo_or_404(owner, repo, req)
        with self.fixture.lock:
            comments = list(state.issue_comments)
        return self.paginate(req, self.comment_objs(state, self.sort(self.since(comments, req), req)))

    @serves("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
    def comment(self, req: Request, owner: str, repo: str, comment_id: str) -> Response:
        state = self.repo_or_404(owner, repo, req)
        wanted = int_or_404(comment_id)
        with self.fixture.lock:
            found = next((c for c in state.issue_comments if c["id"] == wanted), None)
        if found is None:
            raise HttpError(404, "Not Found")
        return Response(body=self.comment_objs(state, [found])[0])

    @serves("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
    def issue_comments(self, req: Request, owner: str, repo: str, issue_number: str) -> Response:
        state = self.repo_or_404(owner, repo, req)
        number = int_or_404(issue_number)
        self.pull_or_404(state, number)
        with self.fixture.lock:
            comments = [c for c in state.issue_comments if c["issue_number"] == number]
        return self.paginate(req, self.comment_objs(state, self.sort(self.since(comments, req), req)))

    @serves("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
    def create_comment(self, req: Request, owner: str, repo: str, issue_number: str) -> Response:
        ident = self.need_user(req)
        state = self.repo_or_404(owner, repo, req)
        number = int_or_404(issue_number)
        self.pull_or_404(state, number)
        body = req.json().get("body")
        if not isinstance(body, str) or not body.strip():
            raise validation_failed("IssueComment", "body")
        record = self.standin.record_issue_comment(state, number, ident.login, body)
        return Response(status=201, body=self.comment_objs(state, [record])[0])

    @serves("GET", "/search/issues")
    def search(self, req: Request) -> Response:
        repo_name = author = state_filter = None
        want_pr = None
        for term in req.query.get("q", "").split():
            k, _, v = term.partition(":")
            if k == "repo":
                repo_name = v
            elif k == "author":
                author = v.lower()
            elif k in ("is", "type") and v in ("pr", "issue"):
                want_pr = v == "pr"
            elif k in ("is", "state") and v in ("open", "closed"):
                state_filter = v
        if not repo_name or "/" not in repo_name:
            raise HttpError(422, "Validation Failed", errors=[{"message": "search requires repo:OWNER/NAME here"}])
        state = self.repo_or_404(*repo_name.split("/", 1), req)
        items = []
        for pr in sorted(state.pulls.values(), key=lambda p: p["number"], reverse=True):
            if want_pr is False:
                continue
            if author and pr["user"].lower() != author:
                continue
            if state_filter and pr.get("state", "open") != state_filter:
                continue
            items.append({**self.issue_obj(state, pr), "score": 1.0})
        page = self.paginate(req, items)
        page.body = {"total_count": len(items), "incomplete_results": False, "items": page.body}
        return page
