"""Repositories: metadata, a collaborator's permission, file contents and commits (read from git)."""

from __future__ import annotations

import posixpath

from ...common.gitcmd import BlobReader, GitError, git_text
from .. import shapes
from ..protocol import HttpError, Request, Response
from . import Room, serves

MAX_CONTENT_BYTES = 1_000_000  # GitHub: larger files come from /contents without their content


class ReposRoom(Room):
    @serves("GET", "/repos/{owner}/{repo}")
    def repository(self, req: Request, owner: str, repo: str) -> Response:
        return Response(body=self.repo_obj(self.repo_or_404(owner, repo, req)))

    @serves("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission")
    def permission(self, req: Request, owner: str, repo: str, username: str) -> Response:
        state = self.repo_or_404(owner, repo, req)
        user = self.fixture.user(username)
        if user is None:
            raise HttpError(404, "Not Found")
        role = state.collaborators.get(username.lower())
        if role is None:
            permission = role = "none" if state.meta.get("private") else "read"
        else:
            permission = {"maintain": "write", "triage": "read"}.get(role, role)
        return Response(
            body={
                "permission": permission,
                "role_name": role,
                "user": shapes.collaborator_json(self.urls, user, permission),
            }
        )

    @serves("GET", "/repos/{owner}/{repo}/contents/{path}")
    def contents(self, req: Request, owner: str, repo: str, path: str) -> Response:
        state = self.repo_or_404(owner, repo, req)
        ref = req.query.get("ref") or state.meta.get("default_branch", "main")
        try:  # "<mode> <type> <sha>\t<path>": the mode says whether it is a symbolic link
            entry = git_text(["ls-tree", ref, "--", path], state.git_dir).split("\t", 1)[0].split()
        except GitError:
            raise HttpError(404, "No commit found for the ref " + ref) from None
        if len(entry) != 3 or entry[1] != "blob":
            raise HttpError(404, "Not Found")  # absent, or a directory (not modelled here)
        mode, _, blob_sha = entry
        with BlobReader(state.git_dir) as reader:
            found = reader.read(blob_sha)
        if found is None:
            raise HttpError(404, "Not Found")
        data = found[1]
        if mode == "120000":
            return self._symlink(state, ref, path, blob_sha, data)
        too_large = len(data) > MAX_CONTENT_BYTES
        body = shapes.content_json(self.urls, state, path, ref, blob_sha, b"" if too_large else data)
        if too_large:
            body.update({"content": "", "encoding": "none", "size": len(data)})
        return Response(body=body)

    def _symlink(self, state, ref: str, path: str, blob_sha: str, target: bytes) -> Response:
        """GitHub answers for a symlink with the file it points to, when that is a file of the
        repository (its own path and content), and otherwise with the link itself."""
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target.decode("utf-8", "replace")))
        if not resolved.startswith("../") and resolved != "..":
            with BlobReader(state.git_dir) as reader:
                found = reader.read(ref, resolved)
            if found is not None and found[0] == "blob":
                sha = git_text(["rev-parse", f"{ref}:{resolved}"], state.git_dir).strip()
                return Response(body=shapes.content_json(self.urls, state, resolved, ref, sha, found[1]))
        body = shapes.content_json(self.urls, state, path, ref, blob_sha, b"")
        for key in ("encoding", "content"):
            body.pop(key)
        body.update({"type": "symlink", "target": target.decode("utf-8", "replace"), "size": len(target)})
        return Response(body=body)

    @serves("GET", "/repos/{owner}/{repo}/commits/{ref}")
    def commit(self, req: Request, owner: str, repo: str, ref: str) -> Response:
        state = self.repo_or_404(owner, repo, req)
        found = commit_obj(self.urls, state, ref)
        if found is None:
            raise HttpError(422, f"No commit found for SHA: {ref}")
        return Response(body=found)


_COMMIT_FORMAT = "%H%x00%P%x00%T%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B"


def commit_obj(urls, state, ref: str) -> dict | None:
    """A commit as GitHub shows it, read from git (None when git knows no such commit)."""
    try:
        raw = git_text(["log", "-1", f"--format={_COMMIT_FORMAT}", f"{ref}^{{commit}}", "--"], state.git_dir)
    except GitError:
        return None
    sha, parents, tree, an, ae, ad, cn, ce, cd, message = raw.split("\x00", 9)
    return shapes.commit_json(urls, state, sha, parents.split(), tree, (an, ae, ad), (cn, ce, cd), message.strip())
