"""The mention sensor on shapes the sample lacks: a repository (and owner) called `pull`, a comment
that cannot be handled, an edited comment."""

from __future__ import annotations

import dagster as dg
import pytest

from techlead_pipeline.common.settings import Settings
from techlead_pipeline.definitions import defs
from techlead_pipeline.github_api.client import TOKEN_NAME
from techlead_pipeline.github_api.token_vault import TokenVault
from techlead_pipeline.github_standin import GitHubStandin
from techlead_pipeline_tests.conftest import run_key_of
from techlead_pipeline_tests.mini_fixture import AUTHOR, BOT, LEAD, OUTSIDER, MiniRepo

REPO = "pull/pull"


@pytest.fixture(scope="module")
def pull_fixture(tmp_path_factory):
    repo = MiniRepo(tmp_path_factory.mktemp("pull"), full_name=REPO)
    repo.commit("main", {"a.py": "x = 1\n"})
    repo.commit("feat", {"a.py": "x = 2\n"}, start="main")
    repo.pull(5, head="feat", base="main")
    repo.pull(6, head="feat", base="main")
    return repo.write(users=None)


@pytest.fixture
def pull_standin(pull_fixture, home, monkeypatch):
    with GitHubStandin(pull_fixture) as server:
        for key, value in {
            "TECHLEAD_GITHUB_API_URL": server.api_url,
            "TECHLEAD_GITHUB_WEB_URL": server.url,
            "TECHLEAD_SECONDS_BETWEEN_WRITES": "0",
            "TECHLEAD_RETRY_BACKOFF": "0.05",
            "TECHLEAD_REPOSITORIES": REPO,
        }.items():
            monkeypatch.setenv(key, value)
        TokenVault.open(Settings().secrets_dir).put(TOKEN_NAME, server.token_for(BOT))
        yield server
    assert not server.contract_violations


def evaluate(instance, cursor=None) -> dg.SensorResult:
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs, resources=dict(defs.resources)
    )
    return defs.resolve_sensor_def("pr_mentions")(context)


def test_a_repository_called_pull_is_served_and_a_bad_comment_stops_nothing(pull_standin, instance):
    deleted = pull_standin.add_issue_comment(REPO, 5, AUTHOR, f"@{BOT} {LEAD}")
    deleted["user"] = None  # its author's account is gone: GitHub sends `user: null`
    odd = pull_standin.add_issue_comment(REPO, 5, OUTSIDER, f"@{BOT} {LEAD}")
    good = pull_standin.add_issue_comment(REPO, 6, AUTHOR, f"@{BOT} {LEAD}")
    # GitHub refuses (not: is away) the permission look-up for the second one's author
    pull_standin.faults.add(kind="status", status=422, path=rf"/collaborators/{OUTSIDER}/permission", times=-1)
    result = evaluate(instance)
    assert [r.run_key for r in result.run_requests] == [run_key_of(good, LEAD)]
    assert result.run_requests[0].tags["techlead/pr"] == "6"
    assert pull_standin.posted_issue_comments() == []
    assert odd["id"] and evaluate(instance, result.cursor).run_requests == []  # skipped, not retried forever


def test_an_edit_that_fixes_the_newest_comment_starts_a_run(pull_standin, instance):
    typo = pull_standin.add_issue_comment(REPO, 5, AUTHOR, f"@{BOT} --forse-reload")
    first = evaluate(instance)
    assert first.run_requests == [] and len(pull_standin.posted_issue_comments()) == 1  # "I don't know the option"
    pull_standin.edit_issue_comment(REPO, typo["id"], f"@{BOT} {LEAD}")
    second = evaluate(instance, first.cursor)
    assert [r.run_key for r in second.run_requests] == [run_key_of(typo, LEAD)]
    assert evaluate(instance, second.cursor).run_requests == []  # read once
