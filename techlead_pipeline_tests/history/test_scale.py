"""History at scale, on a small generated repository (benchmarks/scale.py runs 300, 1,000 and 3,000
pull requests): the mirror is a partial clone whose git traffic follows the files commented on, not
the repository; force-pushed commits are fetched by SHA; collection paces itself on GitHub's rate
limit; memory stays flat as the history grows."""

from __future__ import annotations

import math
import subprocess
import tracemalloc

import pytest

from techlead_pipeline.common.partitions import reviewer_repo
from techlead_pipeline.common.settings import Settings
from techlead_pipeline.github_api.client import GitHubAccess, GitHubCredentials
from techlead_pipeline.github_api.token_vault import Secret
from techlead_pipeline.github_standin import GitHubStandin
from techlead_pipeline.history.code_context import RepoMirror, extract_contexts
from techlead_pipeline.history.comments import collect_review_comments
from techlead_pipeline.history.pull_chunks import reviewed_pull_chunks
from techlead_pipeline.sample.large import BOT, LEAD, REPO, LargeSpec, build_large_fixture, large_token
from techlead_pipeline.training_data.from_github import examples_from_github

SPEC = LargeSpec(prs=40, files=150, force_pushed_share=0.25, big_files=1, binary_files=2)


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    return build_large_fixture(tmp_path_factory.mktemp("large") / "fixture", SPEC)


def access_for(server, tmp_path, **settings) -> GitHubAccess:
    s = Settings(
        github_api_url=server.api_url,
        github_web_url=server.url,
        seconds_between_writes=0,
        home=tmp_path / "home",
        **settings,
    )
    return GitHubAccess(s, GitHubCredentials(token=Secret(large_token(BOT))), REPO)


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout


def test_the_mirror_is_partial_and_costs_what_the_comments_need(large, tmp_path):
    with GitHubStandin(large) as server:
        access = access_for(server, tmp_path)
        history = collect_review_comments(access, reviewer_repo(LEAD, REPO))
        calls = len(server.api_calls())  # GitHub's requests, by the stand-in's own count: a page per 100
        assert calls <= 3 + math.ceil(len(history.comments) / 100) + math.ceil((SPEC.prs + 1) / 100)
        before = server.git_bytes_sent
        with RepoMirror(access, parent=tmp_path) as mirror:
            mirror.fetch_all()
            top = history.comments[history.comments["in_reply_to_id"].isna()]
            contexts = extract_contexts(mirror, top, history.pulls)
            lead = top[top["user"] == LEAD]
            chunks = reviewed_pull_chunks(mirror, lead, history.default_branch, history.pulls)
            missing = _git("-C", str(mirror.git_dir), "rev-list", "--objects", "--all", "--missing=print")
            assert sum(1 for line in missing.splitlines() if line.startswith("?")) > 0  # never a full copy
        partial_bytes = server.git_bytes_sent - before
        before = server.git_bytes_sent
        url = f"{server.url}/{REPO}.git"
        header = f"http.extraHeader=Authorization: token {large_token(BOT)}"
        _git("-c", header, "clone", "-q", "--bare", url, str(tmp_path / "full.git"))
        full_bytes = server.git_bytes_sent - before
        assert not server.contract_violations
    assert set(contexts["status"]) <= {"ok", "moved", "binary", "too_large"}
    assert (chunks["level"] == "chunk").sum() > 0
    assert partial_bytes < 0.25 * full_bytes, (partial_bytes, full_bytes)


def test_force_pushed_commits_are_fetched_by_sha(large, tmp_path):
    with GitHubStandin(large) as server:
        access = access_for(server, tmp_path)
        history = collect_review_comments(access, reviewer_repo(LEAD, REPO))
        bare = server.repo_state(REPO).git_dir
        reachable = set(_git("-C", str(bare), "rev-list", "--all").split())
        gone = history.comments[~history.comments["original_commit_id"].isin(reachable)]
        assert len(gone) > 0  # GitHub serves these by SHA only
        with RepoMirror(access, parent=tmp_path) as mirror:
            mirror.fetch_all()
            contexts = extract_contexts(mirror, gone, history.pulls)
    assert set(contexts["status"]) == {"ok"} and mirror.api_reads == 0


def test_collection_pauses_on_the_rate_limit_instead_of_running_out(large, tmp_path):
    notes: list[str] = []
    with GitHubStandin(large, core_limit=10, core_window_s=2) as server:
        access = access_for(server, tmp_path, rate_limit_floor=8, max_rate_limit_wait=5)
        access.notify = notes.append
        history = collect_review_comments(access, reviewer_repo(LEAD, REPO))
        refusals = [r for r in server.api_calls() if r["status"] == 403]
    assert len(history.comments) > 0 and access.rest.paused_s > 0
    assert notes and "pausing" in notes[0] and not refusals  # waited for the reset, never hit the wall


def test_memory_stays_flat_as_the_history_grows(tmp_path):
    """Python's peak allocations for collect + contexts + dataset grow at most linearly with the history
    (nothing quadratic, nothing held twice), small enough per pull request that 3,000 of them stay far
    under the 2 GB goal (benchmarks/scale.py measures the real RSS)."""
    peaks = {}
    for prs in (30, 90):
        fixture = build_large_fixture(tmp_path / f"f{prs}", LargeSpec(prs=prs, files=120, big_files=0))
        with GitHubStandin(fixture, validate_contract=False) as server:
            access = access_for(server, tmp_path / f"h{prs}")
            tracemalloc.start()
            examples, history = examples_from_github(access, reviewer_repo(LEAD, REPO), access.settings, tmp_path)
            peaks[prs] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        assert len(examples.target) > 0
    per_pr = (peaks[90] - peaks[30]) / 60
    assert peaks[90] < 3.2 * peaks[30], peaks  # measured here: 2.9 MB -> 7.9 MB
    assert peaks[90] + per_pr * (3000 - 90) < 500, (peaks, per_pr)
