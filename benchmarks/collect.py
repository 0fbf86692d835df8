"""Collection cost against the stand-in (GitHub-shaped answers: optional fields left out) with
injected latency: naive (one call per PR, one per file read), the repo-wide endpoint read through
PyGithub's objects (which fetch a comment again for every field GitHub left out), and ours (the
repo-wide endpoint as raw JSON, one git fetch). API calls are counted by the stand-in's own request
log, including any a client makes behind its caller's back.

    .venv/bin/python benchmarks/collect.py [--latency-ms 50] [--prs 52]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from techlead_pipeline.common.partitions import reviewer_repo  # noqa: E402
from techlead_pipeline.common.settings import Settings  # noqa: E402
from techlead_pipeline.github_api.client import GitHubAccess, GitHubCredentials  # noqa: E402
from techlead_pipeline.github_api.token_vault import Secret  # noqa: E402
from techlead_pipeline.github_standin import GitHubStandin  # noqa: E402
from techlead_pipeline.history.code_context import RepoMirror, extract_contexts  # noqa: E402
from techlead_pipeline.history.comments import collect_review_comments  # noqa: E402
from techlead_pipeline.sample.builder import BOT_LOGIN, LEAD, OWNER, REPO, SampleSpec, build_sample  # noqa: E402


def naive(access: GitHubAccess, reviewer: str) -> int:
    """What a straightforward client does: every PR, its comments, then each file it needs."""
    repo = access.client.get_repo(f"{OWNER}/{REPO}")
    comments = 0
    for pr in repo.get_pulls(state="all"):
        for c in pr.get_review_comments():
            comments += 1
            if c.user.login == reviewer and c.path.endswith(".py"):
                try:
                    repo.get_contents(c.path, ref=c.original_commit_id)
                except Exception:
                    pass
    return comments


def pygithub_objects(access: GitHubAccess, reviewer: str) -> int:
    """The repo-wide endpoint read through PyGithub's objects: each absent optional field (GitHub
    omits `in_reply_to_id` on every top-level comment) makes PyGithub fetch the comment again."""
    comments = 0
    for c in access.client.get_repo(f"{OWNER}/{REPO}").get_pulls_review_comments(sort="created", direction="desc"):
        comments += 1
        _ = (c.user, c.path, c.line, c.original_line, c.side, c.subject_type, c.in_reply_to_id)
    return comments


def ours(access: GitHubAccess, reviewer: str, scratch: Path) -> int:
    history = collect_review_comments(access, reviewer_repo(reviewer, f"{OWNER}/{REPO}"))
    with RepoMirror(access, parent=scratch) as mirror:
        mirror.fetch_all()
        extract_contexts(mirror, history.comments, history.pulls)
    return history.stats["comments_seen"]


def measure(standin: GitHubStandin, fn, *args) -> dict:
    mark = len(standin.requests)
    start = time.perf_counter()
    comments = fn(*args)
    seconds = time.perf_counter() - start
    reqs = standin.requests[mark:]
    api = sum(r["kind"] == "api" for r in reqs)
    git = sum(r["kind"] == "git" for r in reqs)
    return {"comments": comments, "api": api, "git": git, "seconds": seconds, "per_1000": api * 1000 / max(comments, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--prs", type=int, default=52, help="pull requests in the generated sample")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fixture = build_sample(Path(tmp) / "fixture", SampleSpec(pr_count=args.prs))
        with GitHubStandin(fixture) as standin:
            standin.faults.add(kind="latency", latency_ms=args.latency_ms, times=-1)
            settings = Settings(
                github_api_url=standin.api_url,
                github_web_url=standin.url,
                seconds_between_writes=0,
                home=Path(tmp) / "home",
            )
            access = GitHubAccess(
                settings, GitHubCredentials(token=Secret(standin.token_for(BOT_LOGIN))), f"{OWNER}/{REPO}"
            )
            rows = {
                "naive": measure(standin, naive, access, LEAD),
                "PyGithub objects, repo-wide": measure(standin, pygithub_objects, access, LEAD),
                "ours": measure(standin, ours, access, LEAD, Path(tmp) / "scratch"),
            }
    table = Table(title=f"Collecting {LEAD}'s history ({args.prs} PRs, {args.latency_ms:.0f} ms latency per request)")
    for col in ("approach", "comments", "API calls", "git HTTP requests", "API calls / 1,000 comments", "wall s"):
        table.add_column(col, justify="right")
    for name, r in rows.items():
        table.add_row(
            name, str(r["comments"]), str(r["api"]), str(r["git"]), f"{r['per_1000']:.1f}", f"{r['seconds']:.2f}"
        )
    Console(width=150).print(table)


if __name__ == "__main__":
    main()
