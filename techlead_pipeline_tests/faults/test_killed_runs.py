"""Runs killed with SIGKILL. Collection resumes from its last complete page. A mirror killed after
its pack file arrived (plain source on disk) is removed by the next sweep whatever its run's state;
and under `dagster-daemon`, a run whose worker was killed is found dead by run monitoring, retried
from the start, and its mention answered exactly once. (Where the retry cannot be made, the
`mention_run_failed` sensor answers instead: sensors/test_failed_runs.py.)"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import psutil
import pytest
import yaml

from techlead_pipeline.common.partitions import reviewer_repo
from techlead_pipeline.common.run_workspace import SCRATCH_PREFIX
from techlead_pipeline.common.settings import Settings
from techlead_pipeline.defs import run_tags
from techlead_pipeline.defs.dev_server import PROJECT_ROOT
from techlead_pipeline.defs.run_launcher import worker_pid
from techlead_pipeline.defs.runner import run_partition
from techlead_pipeline.github_api.client import TOKEN_NAME
from techlead_pipeline.github_api.token_vault import TokenVault
from techlead_pipeline.github_standin import GitHubStandin
from techlead_pipeline.sample.builder import BOT_LOGIN, LEAD, SampleSpec, build_sample
from techlead_pipeline_tests.conftest import SAMPLE_REPO, files_under, mention_of

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


def plaintext_scratch(workspaces) -> list:
    return [p for p in workspaces.rglob("*.pack") if any(part.startswith(SCRATCH_PREFIX) for part in p.parts)]


def test_a_mirror_killed_after_its_pack_arrived_is_swept_though_its_run_stays_started(env, home):
    standin = env
    # The mirror's history fetch (info/refs, ls-refs, fetch) goes through; the blob fetch after it hangs.
    standin.faults.add(
        kind="latency", path=r"\.git/git-upload-pack", method="POST", skip=2, latency_ms=60_000, times=-1
    )
    proc = start_collect()
    workspaces = Settings().workspaces_dir
    try:
        assert wait_for(lambda: bool(plaintext_scratch(workspaces)), 90)
        time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert plaintext_scratch(workspaces)  # the source is on disk (compressed in the pack), its process dead
    with dg.DagsterInstance.get() as instance:
        [killed] = instance.get_runs()
        assert killed.status == dg.DagsterRunStatus.STARTED  # nobody will ever tell Dagster otherwise
        standin.faults.clear()
        result = run_partition(
            "collect_history",
            reviewer_repo(LEAD, SAMPLE_REPO),
            dagster_instance=instance,
            selection=["review_comments"],
        )
    assert result.success
    assert plaintext_scratch(workspaces) == [] and not list(workspaces.rglob(f"{SCRATCH_PREFIX}*"))
    assert not [p for p in files_under(home) if CANARY.encode() in p.read_bytes()]


def _daemon_instance_yaml(dagster_home) -> None:
    config = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())
    config["run_monitoring"]["poll_interval_seconds"] = 2  # production: 20
    (dagster_home / "dagster.yaml").write_text(yaml.safe_dump(config))


def _kill_tree(pid: int) -> list[int]:
    root = psutil.Process(pid)
    victims = [*root.children(recursive=True), root]
    for proc in victims:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    return [p.pid for p in victims]


@pytest.mark.timeout(420)
def test_under_the_daemon_a_killed_run_is_failed_retried_and_answered_once(env, home, monkeypatch):
    standin = env
    dagster_home = home.parent / "dagster"
    _daemon_instance_yaml(dagster_home)
    monkeypatch.setenv("TECHLEAD_REPOSITORIES", SAMPLE_REPO)
    monkeypatch.setenv("TECHLEAD_TRAINER", "none")  # retrieval only: the run path is the same, and fast
    monkeypatch.setenv("TECHLEAD_SEMANTIC_METRIC", "0")
    standin.faults.add(
        kind="latency", path=r"\.git/git-upload-pack", method="POST", skip=2, latency_ms=120_000, times=-1
    )
    mention = standin.add_issue_comment(SAMPLE_REPO, 51, "tomas-b", f"@tech-lead-bot {LEAD}")
    daemon = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    workspaces = Settings().workspaces_dir
    try:
        with dg.DagsterInstance.get() as instance:
            # The sensor turns the mention into a run; it hangs after the mirror's pack arrived.
            assert wait_for(lambda: bool(plaintext_scratch(workspaces)), 240), "the run never reached its mirror"
            runs = instance.get_runs()
            mine = [r for r in runs if r.tags.get(run_tags.MENTION_ID) == mention_of(mention, LEAD)]
            assert len(mine) == 1
            [killed] = mine
            assert len(runs) == 1, [(r.job_name, r.tags) for r in runs]
            assert wait_for(lambda: worker_pid(instance, killed.run_id) is not None, 30)
            pid, _ = worker_pid(instance, killed.run_id)
            _kill_tree(pid)  # the run worker and its step processes, as the OOM killer would
            standin.faults.clear()
            # Run monitoring finds the worker dead and fails the run; run retries start it again.
            assert wait_for(lambda: instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE, 90), (
                instance.get_run_by_id(killed.run_id).status
            )
            assert wait_for(lambda: len(standin.posted_reviews()) == 1, 240), "the retry never posted its review"
            runs = instance.get_runs()
            retry = next(r for r in runs if r.tags.get("dagster/parent_run_id") == killed.run_id)
            assert wait_for(lambda: instance.get_run_by_id(retry.run_id).status == dg.DagsterRunStatus.SUCCESS, 60)
            assert retry.tags[run_tags.MENTION_ID] == killed.tags[run_tags.MENTION_ID] == mention_of(mention, LEAD)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(60)
    [review] = standin.posted_reviews()
    assert review["review"]["body"].rstrip().endswith(f"mention={mention_of(mention, LEAD)} kind=review -->")
    assert [c for c in standin.posted_issue_comments() if "Sorry" in c["comment"]["body"]] == []
    assert plaintext_scratch(workspaces) == []
    assert not [p for p in files_under(home) + files_under(dagster_home) if CANARY.encode() in p.read_bytes()]
