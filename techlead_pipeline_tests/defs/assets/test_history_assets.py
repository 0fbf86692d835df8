"""The history assets run in Dagster against the stand-in and leave no source code behind."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from techlead_pipeline.common.partitions import reviewer_repo
from techlead_pipeline.defs.runner import run_partition
from techlead_pipeline.github_standin import GitHubStandin
from techlead_pipeline.history.window import context_window
from techlead_pipeline.sample.builder import LEAD, SampleSpec, build_sample
from techlead_pipeline_tests.conftest import SAMPLE_REPO, files_under

CANARY = "CANARY-7f3e9b1d-do-not-persist"


def test_collect_history_materializes_both_assets(settings, lead_target, instance, sample_fixture):
    truth = json.loads((sample_fixture / "repos" / SAMPLE_REPO / "review_comments.json").read_text())
    lead = [c for c in truth if c["user"] == LEAD]
    pulls = json.loads((sample_fixture / "repos" / SAMPLE_REPO / "pulls.json").read_text())
    humans = pd.DataFrame([c for c in truth if not c["user"].endswith("[bot]")])
    humans["created_at"] = pd.to_datetime(humans["created_at"])
    authored = [p["number"] for p in pulls if p["user"] == LEAD]
    window = context_window(humans, LEAD, authored, settings.max_context_comments, settings.others_fraction)
    assert 0 < len(window.top_level) < humans["in_reply_to_id"].isna().sum()  # others' older comments are left out
    result = run_partition("collect_history", lead_target, dagster_instance=instance)
    assert result.success, result.error
    comments = result.materializations["review_comments"]
    assert comments["reviewer_comments"] == len(lead)
    assert comments["reviewer_prs"] == len({c["pull_number"] for c in lead})
    contexts = result.materializations["code_contexts"]
    assert contexts["statuses"] == {"ok": len(window.top_level) - 1, "binary": 1}  # the logo is binary
    assert contexts["git_fetches"] <= 4  # the refs, then file contents in batches: never one fetch per file
    assert files_under(settings.workspaces_dir) == []  # the run's workspace is gone
    assert instance.has_dynamic_partition("reviewer_repo", lead_target.key)


@pytest.mark.parametrize(
    "login,message",
    [
        ("ghost-reviewer-x", "can't find a GitHub user called `ghost-reviewer-x`"),
        ("new-hire", "has not left any review comments"),
    ],
)
def test_bad_reviewers_fail_with_a_sentence(settings, instance, login, message):
    result = run_partition("collect_history", reviewer_repo(login, SAMPLE_REPO), dagster_instance=instance)
    assert not result.success
    assert message in result.error and "Traceback" not in result.error
    assert files_under(settings.workspaces_dir) == []


@pytest.fixture
def canary_standin(tmp_path):
    fixture = build_sample(tmp_path / "canary-fixture", SampleSpec(canary=CANARY))
    with GitHubStandin(fixture) as server:
        yield server


def test_collected_code_never_lands_on_disk_in_clear(canary_standin, home, monkeypatch, instance, lead_target):
    from techlead_pipeline.common.settings import Settings
    from techlead_pipeline.github_api.client import TOKEN_NAME
    from techlead_pipeline.github_api.token_vault import TokenVault
    from techlead_pipeline.sample.builder import BOT_LOGIN

    monkeypatch.setenv("TECHLEAD_GITHUB_API_URL", canary_standin.api_url)
    monkeypatch.setenv("TECHLEAD_GITHUB_WEB_URL", canary_standin.url)
    TokenVault.open(Settings().secrets_dir).put(TOKEN_NAME, canary_standin.token_for(BOT_LOGIN))
    result = run_partition("collect_history", lead_target, dagster_instance=instance)
    assert result.success, result.error
    scanned = files_under(home) + files_under(home.parent / "dagster")
    assert len(scanned) > 3
    for path in scanned:
        assert CANARY.encode() not in path.read_bytes(), path
