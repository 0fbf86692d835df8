"""Writes the built sample as a stand-in fixture folder (FIXTURE_FORMAT.md): repositories, users, tokens, the App."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from importlib import resources
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from ..github_standin.pull_diffs import diff_position, hunk_up_to, pull_diff
from .people import (
    APP_ID,
    BOT_LOGIN,
    COLLABORATORS,
    INSTALLATION_ID,
    LEAD,
    OWNER,
    REPO,
    T0,
    USERS,
)
from .workspace import Comment, Pull, iso


def write_records(dest: Path, repo_dir: Path, pulls: list[Pull], comments: list[Comment], reviews, rng) -> None:
    bare = repo_dir / "repository.git"
    by_pull = {p.number: p for p in pulls}
    ids: dict[int, int] = {}
    next_id = 2_000_001
    records = []
    for c in sorted(comments, key=lambda c: (c.created, c.pull)):
        ids[id(c)] = next_id
        c.id = next_id
        next_id += 1
    review_by = {(r["pull_number"], r["user"]): r["id"] for r in reviews}
    for c in sorted(comments, key=lambda c: c.id):
        pr = by_pull[c.pull]
        head = pr.commits[-1]
        original = pr.commits[0]
        first_diff = pull_diff(bare, pr.base_sha, original)
        outdated = c.outdated
        in_reply = ids.get(c.reply_to) if c.reply_to is not None else None
        rec = {
            "id": c.id,
            "pull_number": c.pull,
            "user": c.user,
            "body": c.body,
            "path": c.path,
            "commit_id": head,
            "original_commit_id": original,
            "diff_hunk": hunk_up_to(first_diff, c.path, c.line, c.side) if c.line else "",
            "line": None if outdated else c.line,
            "original_line": c.line,
            "side": c.side,
            "start_line": None,
            "original_start_line": None,
            "start_side": None,
            "position": None if outdated else diff_position(first_diff, c.path, c.line, c.side),
            "original_position": diff_position(first_diff, c.path, c.line, c.side),
            "subject_type": "file" if c.subject_type == "file" else "line",
            "in_reply_to_id": in_reply,
            "pull_request_review_id": review_by.get((c.pull, c.user)),
            "created_at": iso(c.created),
            "updated_at": iso(c.created),
            "author_association": "MEMBER" if c.user in COLLABORATORS else "NONE",
        }
        if rec["subject_type"] == "file":
            rec["side"] = None
        if in_reply is not None:
            parent = next(r for r in records if r["id"] == in_reply)
            rec.update(
                {
                    k: parent[k]
                    for k in ("diff_hunk", "line", "original_line", "side", "position", "original_position", "path")
                }
            )
        records.append(rec)
    pull_records = []
    for p in pulls:
        updated = p.closed_at or p.created + timedelta(days=1)
        pull_records.append(
            {
                "number": p.number,
                "title": p.title,
                "body": f"{p.title}.\n\nPart of the billing roadmap.",
                "user": p.author,
                "state": p.state,
                "created_at": iso(p.created),
                "updated_at": iso(updated),
                "closed_at": iso(p.closed_at) if p.closed_at else None,
                "merged_at": iso(p.merged_at) if p.merged_at else None,
                "head_ref": p.branch,
                "head_sha": p.commits[-1],
                "base_ref": "main",
                "base_sha": p.base_sha,
                "commits": len(p.commits),
            }
        )
    issue_comments = [
        {
            "id": 3_000_001 + i,
            "issue_number": p.number,
            "user": LEAD if p.author != LEAD else "tomas-b",
            "body": rng.choice(("LGTM once CI is green.", "merging, thanks!", "can you rebase on main?")),
            "created_at": iso(p.created + timedelta(days=1, hours=2)),
            "updated_at": iso(p.created + timedelta(days=1, hours=2)),
        }
        for i, p in enumerate(pulls)
        if p.state == "closed" and i % 3 == 0
    ]
    # An old mention from before the bot was installed: a new deployment must not act on it.
    issue_comments.append(
        {
            "id": 3_100_001,
            "issue_number": pulls[10].number,
            "user": "tomas-b",
            "body": f"@{BOT_LOGIN} {LEAD}",
            "created_at": iso(pulls[10].created + timedelta(days=1)),
            "updated_at": iso(pulls[10].created + timedelta(days=1)),
        }
    )
    dump(repo_dir / "review_comments.json", records)
    dump(repo_dir / "pulls.json", pull_records)
    dump(repo_dir / "reviews.json", reviews)
    dump(repo_dir / "issue_comments.json", issue_comments)
    dump(repo_dir / "collaborators.json", COLLABORATORS)
    dump(
        repo_dir / "repository.json",
        {
            "id": 880_001,
            "default_branch": "main",
            "private": True,
            "description": "Invoices, payments and the ledger for ACME.",
            "created_at": iso(T0 - timedelta(days=30)),
            "pushed_at": iso(pulls[-1].created),
        },
    )
    key_pem = resources.files("techlead_pipeline.sample").joinpath("data/standin_app_private_key.pem").read_bytes()
    public_pem = (
        serialization.load_pem_private_key(key_pem, password=None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    tokens = {token_of(u["login"]): u["login"] for u in USERS if u["type"] == "User"}
    dump(
        dest / "fixture.json",
        {
            "repositories": [f"{OWNER}/{REPO}"],
            "users": USERS,
            "tokens": tokens,
            "apps": [
                {
                    "id": APP_ID,
                    "slug": BOT_LOGIN,
                    "name": "Tech Lead Bot",
                    "owner": OWNER,
                    "public_key_pem": public_pem,
                    "installations": [{"id": INSTALLATION_ID, "account": OWNER, "repos": [f"{OWNER}/{REPO}"]}],
                }
            ],
        },
    )


def token_of(login: str) -> str:
    """Deterministic fake personal access tokens, one per human user of the fixture."""
    return "ghp_" + hashlib.sha256(f"standin-token:{login}".encode()).hexdigest()[:36]


def app_private_key_pem() -> bytes:
    """The GitHub App private key of the sample fixture (a test credential, public by design)."""
    return resources.files("techlead_pipeline.sample").joinpath("data/standin_app_private_key.pem").read_bytes()


def dump(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
