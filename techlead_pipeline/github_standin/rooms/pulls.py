"""Pull requests: the list, one pull request (JSON or `.diff`), and its changed files."""

from __future__ import annotations

from .. import shapes
from ..protocol import Request, Response
from ..pull_diffs import pull_diff
from . import Room, int_or_404, serves

MAX_FILES = 3000  # GitHub's /files lists at most 3,000 files


class PullsRoom(Room):
    def pull_obj(self, repo, pr: dict, with_stats: bool = False) -> dict:
        stats = None
        if with_stats:
            diff = pull_diff(repo.git_dir, pr["base_sha"], pr["head_sha"])
            stats = {
                "additions": sum(f["additions"] for f in diff.files),
                "deletions": sum(f["deletions"] for f in diff.files),
                "changed_files": len(diff.files),
            }
        return shapes.pull_json(self.urls, repo, pr, self.user_record(pr["user"]), self.repo_obj(repo), stats)

    @serves("GET", "/repos/{owner}/{repo}/pulls")
    def pulls(self, req: Request, owner: str, repo: str) -> Response:
        state = self.repo_or_404(owner, repo, req)
        wanted = req.query.get("state", "open")
        pulls = [p for p in state.pulls.values() if wanted == "all" or p.get("state", "open") == wanted]
        key = "updated_at" if req.query.get("sort", "created") == "updated" else "created_at"
        pulls.sort(
            key=lambda p: (p.get(key) or p["created_at"], p["number"]),
            reverse=req.query.get("direction", "desc") == "desc",
        )
        page = self.paginate(req, pulls)
        page.body = [shapes.pull_simple(self.pull_obj(state, p)) for p in page.body]
        return page

    @serves("GET", "/repos/{owner}/{repo}/pulls/{pull_number}")
    def pull(self, req: Request, owner: str, repo: str, pull_number: str) -> Response:
        state = self.repo_or_404(owner, repo, req)
        pr = self.pull_or_404(state, int_or_404(pull_number))
        if "diff" in req.headers.get("Accept", ""):
            diff = pull_diff(state.git_dir, pr["base_sha"], pr["head_sha"])
            return Response(body=diff.text.encode(), content_type="text/plain; charset=utf-8")
        return Response(body=self.pull_obj(state, pr, with_stats=True))

    @serves("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files")
    def files(self, req: Request, owner: str, repo: str, pull_number: str) -> Response:
        state = self.repo_or_404(owner, repo, req)
        pr = self.pull_or_404(state, int_or_404(pull_number))
        diff = pull_diff(state.git_dir, pr["base_sha"], pr["head_sha"])
        files = [shapes.pull_file_json(self.urls, state, f, pr["head_sha"]) for f in diff.files[:MAX_FILES]]
        return self.paginate(req, files)
