"""Pull-request review comments: repository-wide, per pull request, and one by id."""

from __future__ import annotations

from .. import shapes
from ..protocol import HttpError, Request, Response
from . import Room, int_or_404, serves


class ReviewCommentsRoom(Room):
    def objs(self, repo, comments: list[dict]) -> list[dict]:
        return [shapes.review_comment_json(self.urls, repo, c, self.user_record(c["user"])) for c in comments]

    @serves("GET", "/repos/{owner}/{repo}/pulls/comments")
    def repo_comments(self, req: Request, owner: str, repo: str) -> Response:
        state = self.repo_or_404(owner, repo, req)
        with self.fixture.lock:
            comments = list(state.review_comments)
        page = self.paginate(req, self.sort(self.since(comments, req), req))
        page.body = self.objs(state, page.body)
        return page

    @serves("GET", "/repos/{owner}/{repo}/pulls/comments/{comment_id}")
    def comment(self, req: Request, owner: str, repo: str, comment_id: str) -> Response:
        state = self.repo_or_404(owner, repo, req)
        wanted = int_or_404(comment_id)
        with self.fixture.lock:
            found = next((c for c in state.review_comments if c["id"] == wanted), None)
        if found is None:
            raise HttpError(404, "Not Found")
        return Response(body=self.objs(state, [found])[0])

    @serves("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/comments")
    def pull_comments(self, req: Request, owner: str, repo: str, pull_number: str) -> Response:
        state = self.repo_or_404(owner, repo, req)
        number = int_or_404(pull_number)
        self.pull_or_404(state, number)
        with self.fixture.lock:
            comments = [c for c in state.review_comments if c["pull_number"] == number]
        page = self.paginate(req, self.sort(self.since(comments, req), req))
        page.body = self.objs(state, page.body)
        return page
