"""Tokens and keys never appear in logs, exceptions, Dagster's event log and metadata, or files."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from dagster._serdes import serialize_value

from techlead_pipeline.common.errors import GitHubUnavailableError
from techlead_pipeline.defs.runner import tick_sensor
from techlead_pipeline.github_api.client import TOKEN_NAME, GitHubAccess, GitHubCredentials
from techlead_pipeline.github_api.token_vault import Secret, TokenVault
from techlead_pipeline.history.comments import collect_review_comments
from techlead_pipeline.sample.builder import BOT_LOGIN, LEAD
from techlead_pipeline_tests.conftest import SAMPLE_REPO, files_under


@pytest.fixture
def planted(settings, standin, monkeypatch):
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("TECHLEAD_FERNET_KEYS", key)
    token = standin.token_for(BOT_LOGIN)
    TokenVault.open(settings.secrets_dir).put(TOKEN_NAME, token)
    monkeypatch.setenv("TECHLEAD_REPOSITORIES", SAMPLE_REPO)
    monkeypatch.setenv("TECHLEAD_TRAINER", "none")  # retrieval only: the secrets path is the same, and fast
    monkeypatch.setenv("TECHLEAD_SEMANTIC_METRIC", "0")
    return {"github token": token, "fernet key": key}


def test_a_whole_mention_flow_leaks_nothing(planted, settings, standin, instance, home, caplog):
    caplog.set_level(logging.DEBUG)
    standin.add_issue_comment(SAMPLE_REPO, 51, "tomas-b", f"@tech-lead-bot {LEAD}")
    standin.add_issue_comment(SAMPLE_REPO, 51, "sam-okafor", f"@tech-lead-bot {LEAD}")  # a refusal too
    tick = tick_sensor("pr_mentions", None, instance)
    assert tick.runs and all(r.success for r in tick.runs), [r.error for r in tick.runs]
    standin.add_issue_comment(SAMPLE_REPO, 51, "tomas-b", "@tech-lead-bot ghost-reviewer-x")  # fails a run
    tick_sensor("pr_mentions", tick.cursor, instance)
    haystack = [caplog.text, serialize_value(standin.requests), serialize_value(standin.posted)]
    for run in instance.get_runs():
        haystack.append(serialize_value(run))
        haystack += [serialize_value(record) for record in instance.all_logs(run.run_id)]
    files = files_under(home) + files_under(home.parent / "dagster")
    assert any(p.name == "credentials.json" for p in files)
    for name, secret in planted.items():
        assert not any(secret in text for text in haystack), f"{name} in logs or event log"
        assert not [p for p in files if secret.encode() in p.read_bytes()], f"{name} in a file"
    # What is kept (adapters with the reviewer's comments, review records, Dagster's sqlite files)
    # is readable by this account alone.
    kept = [p for root in (home, home.parent / "dagster") for p in [root, *root.rglob("*")] if not p.is_symlink()]
    assert any(p.suffix == ".db" for p in kept) and any(p.name == "manifest.json" for p in kept)
    shared = [f"{p} {oct(p.stat().st_mode & 0o777)}" for p in kept if p.stat().st_mode & 0o077]
    assert not shared, shared[:5]


def test_errors_never_carry_the_token(settings, standin):
    wrong = "ghp_" + "x" * 36
    access = GitHubAccess(settings, GitHubCredentials(token=Secret(wrong)), SAMPLE_REPO)
    from github import GithubException

    from techlead_pipeline.common.partitions import reviewer_repo

    with pytest.raises((GithubException, GitHubUnavailableError)) as err:
        collect_review_comments(access, reviewer_repo(LEAD, SAMPLE_REPO))
    assert wrong not in str(err.value) and wrong not in repr(err.value)
    assert wrong not in repr(access) and wrong not in str(access.credentials)
