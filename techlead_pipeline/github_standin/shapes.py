"""GitHub REST v3 JSON shapes, built from compact fixture records.

Only fields that clients read are guaranteed, but every object carries the URLs and nested
objects GitHub sends so that PyGithub parses them unmodified.
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
    return {
        "login": login,
        "id": user["id"],
        "node_id": f"U_{user['id']}",
        "avatar_url": f"{urls.web}/avatars/{login}",
        "gravatar_id": "",
        "url": f"{urls.api}/users/{login}",
        "html_url": f"{urls.web}/{login}",
        "type": user.get("type", "User"),
        "site_admin": False,
        "name": user.get("name"),
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


def _branch(urls: Urls, repo, ref: str, sha: str, user: dict[str, Any], repo_obj: dict) -> dict:
    return {
        "label": f"{repo.owner}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": user,
        "repo": repo_obj,
    }


def pull_json(
    urls: Urls, repo, pr: dict[str, Any], author: dict[str, Any], repo_obj: dict, stats: dict | None = None
) -> dict:
    full = repo.full_name
    number = pr["number"]
    author_obj = user_json(urls, author)
    stats = stats or {}
    return {
        "url": f"{urls.repo_api(full)}/pulls/{number}",
        "id": 100_000 + number,
        "node_id": f"PR_{number}",
        "html_url": f"{urls.repo_web(full)}/pull/{number}",
        "diff_url": f"{urls.repo_web(full)}/pull/{number}.diff",
        "patch_url": f"{urls.repo_web(full)}/pull/{number}.patch",
        "issue_url": f"{urls.repo_api(full)}/issues/{number}",
        "comments_url": f"{urls.repo_api(full)}/issues/{number}/comments",
        "review_comments_url": f"{urls.repo_api(full)}/pulls/{number}/comments",
        "number": number,
        "state": pr.get("state", "open"),
        "locked": False,
        "title": pr.get("title", ""),
        "body": pr.get("body", ""),
        "user": author_obj,
        "created_at": pr.get("created_at"),
        "updated_at": pr.get("updated_at", pr.get("created_at")),
        "closed_at": pr.get("closed_at"),
        "merged_at": pr.get("merged_at"),
        "merged": bool(pr.get("merged_at")),
        "draft": False,
        "head": _branch(urls, repo, pr["head_ref"], pr["head_sha"], author_obj, repo_obj),
        "base": _branch(urls, repo, pr["base_ref"], pr["base_sha"], repo_obj["owner"], repo_obj),
        "author_association": pr.get("author_association", "MEMBER"),
        "additions": stats.get("additions", 0),
        "deletions": stats.get("deletions", 0),
        "changed_files": stats.get("changed_files", 0),
        "commits": pr.get("commits", 1),
        "comments": 0,
        "review_comments": 0,
        "mergeable": None,
    }


def review_comment_json(urls: Urls, repo, c: dict[str, Any], author: dict[str, Any]) -> dict[str, Any]:
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
        "side": c.get("side", "RIGHT"),
        "subject_type": c.get("subject_type", "line"),
        "reactions": {"url": f"{url}/reactions", "total_count": 0},
    }


def issue_comment_json(urls: Urls, repo, c: dict[str, Any], author: dict[str, Any]) -> dict[str, Any]:
    full = repo.full_name
    number = c["issue_number"]
    url = f"{urls.repo_api(full)}/issues/comments/{c['id']}"
    return {
        "url": url,
        "html_url": f"{urls.repo_web(full)}/pull/{number}#issuecomment-{c['id']}",
        "issue_url": f"{urls.repo_api(full)}/issues/{number}",
        "id": c["id"],
        "node_id": f"IC_{c['id']}",
        "user": user_json(urls, author),
        "created_at": c["created_at"],
        "updated_at": c.get("updated_at", c["created_at"]),
        "author_association": c.get("author_association", "MEMBER"),
        "body": c.get("body", ""),
        "reactions": {"url": f"{url}/reactions", "total_count": 0},
    }


def review_json(urls: Urls, repo, r: dict[str, Any], author: dict[str, Any]) -> dict[str, Any]:
    full = repo.full_name
    number = r["pull_number"]
    return {
        "id": r["id"],
        "node_id": f"PRR_{r['id']}",
        "user": user_json(urls, author),
        "body": r.get("body", ""),
        "state": r.get("state", "COMMENTED"),
        "html_url": f"{urls.repo_web(full)}/pull/{number}#pullrequestreview-{r['id']}",
        "pull_request_url": f"{urls.repo_api(full)}/pulls/{number}",
        "commit_id": r.get("commit_id"),
        "submitted_at": r.get("submitted_at"),
        "author_association": r.get("author_association", "MEMBER"),
        "_links": {
            "html": {"href": f"{urls.repo_web(full)}/pull/{number}#pullrequestreview-{r['id']}"},
            "pull_request": {"href": f"{urls.repo_api(full)}/pulls/{number}"},
        },
    }


def content_json(urls: Urls, repo, path: str, ref: str, blob_sha: str, data: bytes) -> dict[str, Any]:
    full = repo.full_name
    url = f"{urls.repo_api(full)}/contents/{path}?ref={ref}"
    encoded = base64.encodebytes(data).decode("ascii")
    return {
        "type": "file",
        "encoding": "base64",
        "size": len(data),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "content": encoded,
        "sha": blob_sha,
        "url": url,
        "git_url": f"{urls.repo_api(full)}/git/blobs/{blob_sha}",
        "html_url": f"{urls.repo_web(full)}/blob/{ref}/{path}",
        "download_url": f"{urls.web}/raw/{full}/{ref}/{path}",
        "_links": {"self": url, "git": f"{urls.repo_api(full)}/git/blobs/{blob_sha}"},
    }


def pull_file_json(urls: Urls, repo, f: dict[str, Any], head_sha: str) -> dict[str, Any]:
    full = repo.full_name
    out = {
        "sha": f.get("blob_sha") or "0" * 40,
        "filename": f["filename"],
        "status": f["status"],
        "additions": f["additions"],
        "deletions": f["deletions"],
        "changes": f["additions"] + f["deletions"],
        "blob_url": f"{urls.repo_web(full)}/blob/{head_sha}/{f['filename']}",
        "raw_url": f"{urls.repo_web(full)}/raw/{head_sha}/{f['filename']}",
        "contents_url": f"{urls.repo_api(full)}/contents/{f['filename']}?ref={head_sha}",
    }
    if f.get("patch") is not None:
        out["patch"] = f["patch"]
    if f.get("previous_filename"):
        out["previous_filename"] = f["previous_filename"]
    return out
