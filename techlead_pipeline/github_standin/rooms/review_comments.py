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
        with self.fixture.lock:
            found = self._find(state, comment_id)
        return Response(body=self.objs(state, [found])[0])

    def _find(self, state, comment_id: str) -> dict:
        wanted = int_or_404(comment_id)
        found = next((c for c in state.review_comments if c["id"] == wanted), None)
        if found is None:
            raise HttpError(404, "Not Found")
        return found

    @serves("GET", "/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions")
    def reactions(self, req: Request, owner: str, repo: str, comment_id: str) -> Response:
        state = self.repo_or_404(owner, repo, req)
        with self.fixture.lock:
            found = list(self._find(state, comment_id).get("reactions") or [])
        wanted = req.query.get("content")
        found = [r for r in found if not wanted or r["content"] == wanted]
        page = self.paginate(req, found)
        page.body = [shapes.reaction_json(self.urls, r, self.user_record(r["user"])) for r in page.body]
        return page

    @serves("POST", "/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions")
    def react(self, req: Request, owner: str, repo: str, comment_id: str) -> Response:
        """A reaction by the caller; the one it already left with that content is answered 200 (GitHub's rule)."""
        ident = self.need_user(req)
        state = self.repo_or_404(owner, repo, req)
        content = (req.json() or {}).get("content")
        if content not in shapes.REACTIONS:
            raise HttpError(422, "Validation Failed")
        with self.fixture.lock:
            comment = self._find(state, comment_id)
            mine = next(
                (r for r in comment.get("reactions") or [] if r["user"] == ident.login and r["content"] == content),
                None,
            )
            status = 200
            if mine is None:
                status = 201
                mine = self.fixture.add_reaction(comment, ident.login, content)
        return Response(status=status, body=shapes.reaction_json(self.urls, mine, self.user_record(mine["user"])))

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
