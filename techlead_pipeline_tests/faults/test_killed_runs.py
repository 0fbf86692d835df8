"""A run killed with SIGKILL: collection resumes from its last complete page, and no source text is
left on disk outside the git mirror, which the next run's sweep removes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import dagster as dg
import pytest

from techlead_pipeline.github_api.client import TOKEN_NAME
from techlead_pipeline.github_api.token_vault import TokenVault
from techlead_pipeline.github_standin import GitHubStandin
from techlead_pipeline.partitions import reviewer_repo
from techlead_pipeline.runner import run_partition
from techlead_pipeline.sample.builder import BOT_LOGIN, LEAD, SampleSpec, build_sample
from techlead_pipeline.settings import Settings
from techlead_pipeline_tests.conftest import SAMPLE_REPO, files_under

CANARY = "CANARY-d41f-killed-runs-keep-nothing"


@pytest.fixture(scope="module")
def canary_fixture(tmp_path_factory):
    return build_sample(tmp_path_factory.mktemp("kill") / "fixture", SampleSpec(canary=CANARY))


@pytest.fixture
def env(canary_fixture, home, monkeypatch, tmp_path):
    with GitHubStandin(canary_fixture) as standin:
        values = {
            "TECHLEAD_GITHUB_API_URL": standin.api_url,
            "TECHLEAD_GITHUB_WEB_URL": standin.url,
            "TECHLEAD_RETRY_BACKOFF": "0.05",
            "TECHLEAD_SECONDS_BETWEEN_WRITES": "0",
        }
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        TokenVault.open(Settings().secrets_dir).put(TOKEN_NAME, standin.token_for(BOT_LOGIN))
        yield standin


def start_collect() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "techlead_pipeline.cli", "collect", "--reviewer", LEAD, "--repo", SAMPLE_REPO],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_for(predicate, seconds: float = 60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def comment_pages(standin, mark=0):
    return [r for r in standin.requests[mark:] if r["kind"] == "api" and r["path"].endswith("/pulls/comments")]


def test_killed_mid_collection_resumes_from_the_last_complete_page(env, home):
    standin = env
    standin.faults.add(kind="latency", path=r"/pulls/comments\?.*page=[34]", latency_ms=30_000, times=-1)
    proc = start_collect()
    state = Settings().checkpoints_dir / f"{LEAD}@acme-labs+billing_core.py" / "state.json"
    try:
        assert wait_for(lambda: state.exists() and json.loads(state.read_text())["pages"] >= 2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    saved = files_under(state.parent)
    assert all(CANARY.encode() not in p.read_bytes() for p in saved)  # pages of diff hunks, encrypted
    standin.faults.clear()
    mark = len(standin.requests)
    with dg.instance_for_test() as instance:
        result = run_partition("collect_history", reviewer_repo(LEAD, SAMPLE_REPO), dagster_instance=instance)
    assert result.success, result.error
    meta = result.materializations["review_comments"]
    assert meta["resumed_from_page"] == 2
    assert len(comment_pages(standin, mark)) == 2  # pages 3 and 4 only
    truth = json.loads((standin.fixture.root / "repos" / SAMPLE_REPO / "review_comments.json").read_text())
    assert meta["comments_seen"] == len(truth)
    assert not state.parent.exists()


def test_killed_mid_fetch_leaves_no_source_outside_the_clone_and_the_sweep_removes_it(env, home):
    standin = env
    standin.faults.add(kind="latency", path=r"\.git/git-upload-pack", latency_ms=30_000, times=-1)
    proc = start_collect()
    workspaces = Settings().workspaces_dir
    try:
        assert wait_for(
            lambda: any(p.name == "scratch" for p in workspaces.rglob("*")) if workspaces.exists() else False
        )
        time.sleep(1)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    left = files_under(home) + files_under(home.parent / "dagster")
    outside_clone = [p for p in left if "scratch" not in p.parts]
    assert any(p.suffix == ".enc" for p in outside_clone)  # the collected history: encrypted
    assert [p for p in outside_clone if CANARY.encode() in p.read_bytes()] == []
    # What Dagster's run monitoring does for a dead worker; then the next run's sweep cleans up.
    with dg.DagsterInstance.get() as instance:
        [killed] = instance.get_runs()
        instance.report_run_failed(killed)
        standin.faults.clear()
        result = run_partition(
            "collect_history",
            reviewer_repo(LEAD, SAMPLE_REPO),
            dagster_instance=instance,
            selection=["review_comments"],
        )
    assert result.success and result.materializations["review_comments"]["stale_workspaces_removed"] == 1
    assert files_under(workspaces) == []
