"""GitHub REST JSON objects, built from compact fixture records.

Only what the stand-in models is written here; the server then shapes every answer by GitHub's
own schema (contract/schema.py): required fields we do not model are filled in, and optional
fields that are null are left out, as GitHub leaves them out.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Urls:
    web: str  # http://127.0.0.1:PORT
    api: str  # http://127.0.0.1:PORT/api/v3

    def repo_api(self, full_name: str) -> str:
        return f"{self.api}/repos/{full_name}"

    def repo_web(self, full_name: str) -> str:
        return f"{self.web}/{full_name}"


def user_json(urls: Urls, user: dict[str, Any]) -> dict[str, Any]:
    login = user["login"]
    api = f"{urls.api}/users/{login}"
    return {
        "login": login,
        "id": user["id"],
        "node_id": f"U_{user['id']}",
        "avatar_url": f"{urls.web}/avatars/{login}",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{urls.web}/{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": user.get("type", "User"),
        "site_admin": False,
        "name": user.get("name"),
    }


def public_user_json(urls: Urls, user: dict[str, Any]) -> dict[str, Any]:
    return {**user_json(urls, user), "created_at": user.get("created_at", "2015-01-01T00:00:00Z")}


def collaborator_json(urls: Urls, user: dict[str, Any], permission: str) -> dict[str, Any]:
    flags = {"admin": permission == "admin", "push": permission in ("admin", "write"), "pull": permission != "none"}
    return {
        **user_json(urls, user),
        "permissions": {**flags, "maintain": False, "triage": False},
        "role_name": permission,
    }


def repo_json(urls: Urls, repo, owner_user: dict[str, Any]) -> dict[str, Any]:
    full = repo.full_name
    meta = repo.meta
    return {
        "id": meta.get("id", 1),
        "node_id": f"R_{meta.get('id', 1)}",
        "name": repo.name,
        "full_name": full,
        "owner": user_json(urls, owner_user),
        "private": meta.get("private", False),
        "description": meta.get("description", ""),
        "fork": False,
        "url": urls.repo_api(full),
        "html_url": urls.repo_web(full),
        "clone_url": f"{urls.web}/{full}.git",
        "default_branch": meta.get("default_branch", "main"),
        "created_at": meta.get("created_at"),
        "updated_at": meta.get("updated_at", meta.get("created_at")),
        "pushed_at": meta.get("pushed_at", meta.get("created_at")),
        "visibility": "private" if meta.get("private") else "public",
        "permissions": {"admin": False, "push": False, "pull": True},
    }


def _branch(repo, ref: str, sha: str, user: dict[str, Any], repo_obj: dict) -> dict:
    return {"label": f"{repo.owner}:{ref}", "ref": ref, "sha": sha, "user": user, "repo": repo_obj}


def pull_json(
    urls: Urls, repo, pr: dict[str, Any], author: dict[str, Any], repo_obj: dict, stats: dict | None = None
) -> dict:
    full = repo.full_name
    number = pr["number"]
    author_obj = user_json(urls, author)
    stats = stats or {}
    api = f"{urls.repo_api(full)}/pulls/{number}"
    html = f"{urls.repo_web(full)}/pull/{number}"
    out = {
        "url": api,
        "id": 100_000 + number,
        "node_id": f"PR_{number}",
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": f"{urls.repo_api(full)}/issues/{number}",
        "comments_url": f"{urls.repo_api(full)}/issues/{number}/comments",
        "review_comments_url": f"{api}/comments",
        "review_comment_url": f"{urls.repo_api(full)}/pulls/comments{{/number}}",
        "commits_url": f"{api}/commits",
        "statuses_url": f"{urls.repo_api(full)}/statuses/{pr['head_sha']}",
        "number": number,
        "state": pr.get("state", "open"),
        "locked": False,
        "title": pr.get("title", ""),
        "body": pr.get("body", ""),
        "user": author_obj,
        "labels": [],
        "created_at": pr.get("created_at"),
        "updated_at": pr.get("updated_at", pr.get("created_at")),
        "closed_at": pr.get("closed_at"),
        "merged_at": pr.get("merged_at"),
        "merge_commit_sha": None,
        "draft": pr.get("draft", False),
        "head": _branch(repo, pr["head_ref"], pr["head_sha"], author_obj, repo_obj),
        "base": _branch(repo, pr["base_ref"], pr["base_sha"], repo_obj["owner"], repo_obj),
        "author_association": pr.get("author_association", "MEMBER"),
        "_links": {
            rel: {"href": href}
            for rel, href in {
                "self": api,
                "html": html,
                "issue": f"{urls.repo_api(full)}/issues/{number}",
                "comments": f"{urls.repo_api(full)}/issues/{number}/comments",
                "review_comments": f"{api}/comments",
                "review_comment": f"{urls.repo_api(full)}/pulls/comments{{/number}}",
                "commits": f"{api}/commits",
                "statuses": f"{urls.repo_api(full)}/statuses/{pr['head_sha']}",
            }.items()
        },
    }
    if stats:
        out.update(
            merged=bool(pr.get("merged_at")),
            mergeable=None,
            comments=0,
            review_comments=0,
            commits=pr.get("commits", 1),
            maintainer_can_modify=False,
            **stats,
        )
    return out


# The fields GitHub's list of pull requests leaves out (they need the diff): `pull-request-simple`.
_PULL_DETAIL_ONLY = (
    "merged",
    "mergeable",
    "comments",
    "review_comments",
    "commits",
    "maintainer_can_modify",
    "additions",
    "deletions",
    "changed_files",
)


def pull_simple(pull: dict) -> dict:
    return {k: v for k, v in pull.items() if k not in _PULL_DETAIL_ONLY}


def issue_json(urls: Urls, repo, pr: dict[str, Any], author: dict[str, Any]) -> dict:
    """A pull request as an issue (every pull request is one): `pull_request` says which it is."""
    full = repo.full_name
    n = pr["number"]
    return {
        "url": f"{urls.repo_api(full)}/issues/{n}",
        "repository_url": urls.repo_api(full),
        "labels_url": f"{urls.repo_api(full)}/issues/{n}/labels{{/name}}",
        "comments_url": f"{urls.repo_api(full)}/issues/{n}/comments",
        "events_url": f"{urls.repo_api(full)}/issues/{n}/events",
        "html_url": f"{urls.repo_web(full)}/pull/{n}",
        "id": 200_000 + n,
        "node_id": f"I_{n}",
        "number": n,
        "title": pr.get("title", ""),
        "body": pr.get("body", ""),
        "user": author,
        "state": pr.get("state", "open"),
        "locked": False,
        "created_at": pr.get("created_at"),
        "updated_at": pr.get("updated_at", pr.get("created_at")),
        "closed_at": pr.get("closed_at"),
        "comments": 0,
        "labels": [],
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "author_association": pr.get("author_association", "MEMBER"),
        "pull_request": {
            "url": f"{urls.repo_api(full)}/pulls/{n}",
            "html_url": f"{urls.repo_web(full)}/pull/{n}",
            "diff_url": f"{urls.repo_web(full)}/pull/{n}.diff",
            "patch_url": f"{urls.repo_web(full)}/pull/{n}.patch",
            "merged_at": pr.get("merged_at"),
        },
    }


def review_comment_json(urls: Urls, repo, c: dict[str, Any], author: dict[str, Any]) -> dict[str, Any]:
    """As stored: what the fixture leaves null (an outdated comment's `line`, a top-level comment's
    `in_reply_to_id`) is null here and absent on the wire."""
    full = repo.full_name
    number = c["pull_number"]
    url = f"{urls.repo_api(full)}/pulls/comments/{c['id']}"
    html = f"{urls.repo_web(full)}/pull/{number}#discussion_r{c['id']}"
    pr_url = f"{urls.repo_api(full)}/pulls/{number}"
    return {
        "url": url,
        "pull_request_review_id": c.get("pull_request_review_id"),
        "id": c["id"],
        "node_id": f"PRRC_{c['id']}",
        "diff_hunk": c.get("diff_hunk", ""),
        "path": c["path"],
        "position": c.get("position"),
        "original_position": c.get("original_position"),
        "commit_id": c["commit_id"],
        "original_commit_id": c.get("original_commit_id", c["commit_id"]),
        "in_reply_to_id": c.get("in_reply_to_id"),
        "user": user_json(urls, author),
        "body": c.get("body", ""),
        "created_at": c["created_at"],
        "updated_at": c.get("updated_at", c["created_at"]),
        "html_url": html,
        "pull_request_url": pr_url,
        "author_association": c.get("author_association", "MEMBER"),
        "_links": {"self": {"href": url}, "html": {"href": html}, "pull_request": {"href": pr_url}},
        "start_line": c.get("start_line"),
        "original_start_line": c.get("original_start_line"),
        "start_side": c.get("start_side"),
        "line": c.get("line"),
        "original_line": c.get("original_line"),
        "side": c.get("side"),
        "subject_type": c.get("subject_type"),
        "reactions": reaction_rollup(f"{url}/reactions", c.get("reactions") or []),
    }


REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")


def reaction_rollup(url: str, reactions: list[dict]) -> dict[str, Any]:
    """The counts GitHub sends with every comment (who reacted takes the reactions endpoint)."""
    counts = {name: sum(1 for r in reactions if r["content"] == name) for name in REACTIONS}
    return {"url": url, "total_count": len(reactions), **counts}


def reaction_json(urls: Urls, r: dict[str, Any], author: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"],
        "node_id": f"REA_{r['id']}",
        "user": user_json(urls, author),
        "content": r["content"],
        "created_at": r["created_at"],
    }


def issue_comment_json(urls: Urls, repo, c: dict[str, Any], author: dict[str, Any] | None) -> dict[str, Any]:
    """`author` None: a deleted account, which GitHub sends as `user: null`."""
    full = repo.full_name
    number = c["issue_number"]
    url = f"{urls.repo_api(full)}/issues/comments/{c['id']}"
    return {
        "url": url,
        "html_url": f"{urls.repo_web(full)}/pull/{number}#issuecomment-{c['id']}",
        "issue_url": f"{urls.repo_api(full)}/issues/{number}",
        "id": c["id"],
        "node_id": f"IC_{c['id']}",
        "user": user_json(urls, author) if author else None,
        "created_at": c["created_at"],
        "updated_at": c.get("updated_at", c["created_at"]),
        "author_association": c.get("author_association", "MEMBER"),
        "body": c.get("body", ""),
    }


def review_json(urls: Urls, repo, r: dict[str, Any], author: dict[str, Any]) -> dict[str, Any]:
    full = repo.full_name
    number = r["pull_number"]
    html = f"{urls.repo_web(full)}/pull/{number}#pullrequestreview-{r['id']}"
    return {
        "id": r["id"],
        "node_id": f"PRR_{r['id']}",
        "user": user_json(urls, author),
        "body": r.get("body", ""),
        "state": r.get("state", "COMMENTED"),
        "html_url": html,
        "pull_request_url": f"{urls.repo_api(full)}/pulls/{number}",
        "commit_id": r.get("commit_id"),
        "submitted_at": r.get("submitted_at"),
        "author_association": r.get("author_association", "MEMBER"),
        "_links": {"html": {"href": html}, "pull_request": {"href": f"{urls.repo_api(full)}/pulls/{number}"}},
    }


def content_json(urls: Urls, repo, path: str, ref: str, blob_sha: str, data: bytes) -> dict[str, Any]:
    full = repo.full_name
    url = f"{urls.repo_api(full)}/contents/{path}?ref={ref}"
    git_url = f"{urls.repo_api(full)}/git/blobs/{blob_sha}"
    html_url = f"{urls.repo_web(full)}/blob/{ref}/{path}"
    return {
        "type": "file",
        "encoding": "base64",
        "size": len(data),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "content": base64.encodebytes(data).decode("ascii"),
        "sha": blob_sha,
        "url": url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": f"{urls.web}/raw/{full}/{ref}/{path}",
        "_links": {"self": url, "git": git_url, "html": html_url},
    }


def commit_json(urls: Urls, repo, sha: str, parents: list[str], tree: str, author, committer, message: str) -> dict:
    full = repo.full_name
    return {
        "sha": sha,
        "node_id": f"C_{sha}",
        "url": f"{urls.repo_api(full)}/commits/{sha}",
        "html_url": f"{urls.repo_web(full)}/commit/{sha}",
        "comments_url": f"{urls.repo_api(full)}/commits/{sha}/comments",
        "commit": {
            "url": f"{urls.repo_api(full)}/git/commits/{sha}",
            "message": message,
            "author": dict(zip(("name", "email", "date"), author)),
            "committer": dict(zip(("name", "email", "date"), committer)),
            "comment_count": 0,
            "tree": {"sha": tree, "url": f"{urls.repo_api(full)}/git/trees/{tree}"},
        },
        "parents": [
            {"sha": p, "url": f"{urls.repo_api(full)}/commits/{p}", "html_url": f"{urls.repo_web(full)}/commit/{p}"}
            for p in parents
        ],
        "author": None,
        "committer": None,
    }


def pull_file_json(urls: Urls, repo, f: dict[str, Any], head_sha: str) -> dict[str, Any]:
    full = repo.full_name
    return {
        "sha": f.get("blob_sha") or "0" * 40,
        "filename": f["filename"],
        "status": f["status"],
        "additions": f["additions"],
        "deletions": f["deletions"],
        "changes": f["additions"] + f["deletions"],
        "blob_url": f"{urls.repo_web(full)}/blob/{head_sha}/{f['filename']}",
        "raw_url": f"{urls.repo_web(full)}/raw/{head_sha}/{f['filename']}",
        "contents_url": f"{urls.repo_api(full)}/contents/{f['filename']}?ref={head_sha}",
        "patch": f.get("patch"),
        "previous_filename": f.get("previous_filename"),
    }
