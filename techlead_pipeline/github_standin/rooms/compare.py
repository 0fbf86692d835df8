"""Comparing two commits (`GET /repos/{owner}/{repo}/compare/{base}...{head}`), as GitHub does: the
status of head against base (`ahead`, `behind`, `diverged`, `identical`), the commits from their merge
base to head, oldest first, and the files of the three-dot diff (merge base to head)."""

from __future__ import annotations

from ...common.gitcmd import GitError, git_text
from .. import shapes
from ..protocol import HttpError, Request, Response
from ..pull_diffs import merge_base, pull_diff
from . import Room, serves
from .repos import commit_obj

MAX_COMMITS = 250  # GitHub lists at most this many commits in a comparison
MAX_FILES = 300  # and at most this many files


class CompareRoom(Room):
    @serves("GET", "/repos/{owner}/{repo}/compare/{basehead}")
    def compare(self, req: Request, owner: str, repo: str, basehead: str) -> Response:
        state = self.repo_or_404(owner, repo, req)
        base_ref, sep, head_ref = basehead.partition("...")
        base, head = commit_obj(self.urls, state, base_ref), commit_obj(self.urls, state, head_ref)
        if not sep or base is None or head is None:
            raise HttpError(404, "Not Found")
        try:
            common = git_text(["merge-base", base["sha"], head["sha"]], state.git_dir).strip()
        except GitError:
            raise HttpError(404, f"No common ancestor between {base_ref} and {head_ref}.") from None
        ahead = self._between(state, common, head["sha"])
        behind = self._between(state, common, base["sha"])
        status = (
            "identical"
            if base["sha"] == head["sha"]
            else "ahead"
            if not behind
            else "behind"
            if not ahead
            else "diverged"
        )
        diff = pull_diff(state.git_dir, base["sha"], head["sha"])
        full = state.full_name
        return Response(
            body={
                "url": f"{self.urls.repo_api(full)}/compare/{basehead}",
                "html_url": f"{self.urls.repo_web(full)}/compare/{basehead}",
                "permalink_url": f"{self.urls.repo_web(full)}/compare/{base['sha']}...{head['sha']}",
                "diff_url": f"{self.urls.repo_web(full)}/compare/{basehead}.diff",
                "patch_url": f"{self.urls.repo_web(full)}/compare/{basehead}.patch",
                "base_commit": base,
                "merge_base_commit": commit_obj(self.urls, state, merge_base(state.git_dir, base["sha"], head["sha"])),
                "status": status,
                "ahead_by": len(ahead),
                "behind_by": len(behind),
                "total_commits": len(ahead),
                "commits": [commit_obj(self.urls, state, sha) for sha in ahead[:MAX_COMMITS]],
                "files": [shapes.pull_file_json(self.urls, state, f, head["sha"]) for f in diff.files[:MAX_FILES]],
            }
        )

    @staticmethod
    def _between(state, older: str, newer: str) -> list[str]:
        """The commits reachable from `newer` and not from `older`, oldest first."""
        out = git_text(["rev-list", "--reverse", f"{older}..{newer}"], state.git_dir)
        return [sha for sha in out.split() if sha]
