"""The GitHub App as users install it, end to end on loopback: the stand-in sends signed deliveries to
the webhook service, which stores them in the Dagster instance; the mention sensor drains them.
Mentions in conversation comments, review bodies and inline review comments; a repository added to
the installation mid-run; deliveries missed while the service was down, recovered by redelivery."""

from __future__ import annotations

import time

import dagster as dg
import pytest

from techlead_pipeline.common.settings import Settings
from techlead_pipeline.definitions import defs
from techlead_pipeline.github_api.client import APP_ID_NAME, APP_KEY_NAME
from techlead_pipeline.github_api.token_vault import TokenVault
from techlead_pipeline.github_standin import GitHubStandin
from techlead_pipeline.github_standin.pull_diffs import pull_diff
from techlead_pipeline.sample.builder import APP_ID, BOT_LOGIN, LEAD, app_private_key_pem
from techlead_pipeline.sample.multi_repo import build_multi_repo_fixture
from techlead_pipeline.webhooks.service import BackgroundService, create_app
from techlead_pipeline.webhooks.store import DeliveryStore
from techlead_pipeline_tests.conftest import run_key_of

SECRET = "app-webhook-secret"
REPO, ADDED = "acme-labs/billing_core.py", "acme-labs/service-01"


@pytest.fixture(scope="module")
def two_repos(tmp_path_factory):
    """The sample, and a second repository the App is not installed on (yet)."""
    dest = tmp_path_factory.mktemp("app") / "fixture"
    build_multi_repo_fixture(dest, 2)
    return dest


@pytest.fixture
def app_world(two_repos, home, instance, monkeypatch):
    with GitHubStandin(two_repos) as standin:
        standin.fixture.apps[0]["installations"][0]["repos"] = [REPO]
        for key, value in {
            "TECHLEAD_GITHUB_API_URL": standin.api_url,
            "TECHLEAD_GITHUB_WEB_URL": standin.url,
            "TECHLEAD_SECONDS_BETWEEN_WRITES": "0",
            "TECHLEAD_RETRY_BACKOFF": "0.05",
            "TECHLEAD_REDELIVERY_GRACE_S": "0",
            "TECHLEAD_REDELIVERY_CHECK_S": "0",
        }.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("TECHLEAD_REPOSITORIES", raising=False)  # the installations say what is watched
        vault = TokenVault.open(Settings().secrets_dir)
        vault.put(APP_ID_NAME, str(APP_ID))
        vault.put(APP_KEY_NAME, app_private_key_pem().decode())
        store = DeliveryStore(instance)
        service = BackgroundService(create_app(lambda: SECRET, lambda: store))
        standin.configure_webhooks(service.url, SECRET)
        try:
            yield standin, store, service
        finally:
            service.stop()
        assert not standin.contract_violations, standin.contract_violations[:5]


def tick(instance, cursor=None) -> dg.SensorResult:
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs, resources=dict(defs.resources)
    )
    return defs.resolve_sensor_def("pr_mentions")(context)


def test_a_mention_arrives_by_webhook_and_runs_once(app_world, instance):
    standin, store, _ = app_world
    comment = standin.add_issue_comment(REPO, 51, "tomas-b", f"@{BOT_LOGIN} {LEAD}")
    standin.hooks.wait()
    assert store.count() == 1 and standin.hooks.log[-1].status == "OK"
    first = tick(instance)
    # The poll (the fallback) saw the same comment in the same tick: still one request.
    assert [r.run_key for r in first.run_requests] == [run_key_of(comment, LEAD)]
    assert tick(instance, first.cursor).run_requests == []
    assert standin.tokens_minted == 1  # one installation token, reused by every look-up and poll


def test_mentions_in_a_review_and_in_an_inline_comment(app_world, instance):
    standin, _, _ = app_world
    first = tick(instance)
    pr = standin.repo_state(REPO).pulls[51]
    anchors = pull_diff(standin.repo_state(REPO).git_dir, pr["base_sha"], pr["head_sha"]).anchors
    path, lines = next((p, a["RIGHT"]) for p, a in anchors.items() if a["RIGHT"])
    inline = {"path": path, "line": min(lines), "side": "RIGHT", "body": f"@{BOT_LOGIN} li-wei"}
    review = standin.add_review(REPO, 51, "priya-r", f"looks close.\n\n@{BOT_LOGIN} {LEAD}", comments=(inline,))
    standin.hooks.wait()
    keys = sorted(r.run_key for r in tick(instance, first.cursor).run_requests)
    [rc] = [c for c in standin.repo_state(REPO).review_comments if c.get("pull_request_review_id") == review["id"]]
    assert keys == sorted([run_key_of(review, LEAD, source="review"), run_key_of(rc, "li-wei", source="rc")])


def test_an_edit_counts_only_when_it_brings_a_new_mention(app_world, instance):
    standin, _, _ = app_world
    comment = standin.add_issue_comment(REPO, 51, "tomas-b", "thanks all, merging after CI")
    standin.hooks.wait()
    first = tick(instance)
    assert first.run_requests == []
    standin.edit_issue_comment(REPO, comment["id"], f"thanks all\n@{BOT_LOGIN} {LEAD}")
    standin.hooks.wait()
    second = tick(instance, first.cursor)
    assert [r.run_key for r in second.run_requests] == [run_key_of(comment, LEAD)]
    standin.edit_issue_comment(REPO, comment["id"], f"thanks all!\n@{BOT_LOGIN} {LEAD}")  # same ask
    standin.hooks.wait()
    third = tick(instance, second.cursor)
    assert third.run_requests == []
    # The wrong person was named: the edit asks for another reviewer, and that is a new mention (before,
    # it had the same run key as the first ask, and Dagster silently dropped it).
    standin.edit_issue_comment(REPO, comment["id"], f"thanks all!\n@{BOT_LOGIN} priya-r")
    standin.hooks.wait()
    fourth = tick(instance, third.cursor)
    assert [r.run_key for r in fourth.run_requests] == [run_key_of(comment, "priya-r")]
    assert run_key_of(comment, "priya-r") != run_key_of(comment, LEAD)


def test_a_repository_added_to_the_installation_is_served_without_configuration(app_world, instance):
    standin, _, _ = app_world
    first = tick(instance)
    standin.add_issue_comment(ADDED, 51, "tomas-b", f"@{BOT_LOGIN} {LEAD}")  # not installed: no delivery
    standin.hooks.wait()
    assert tick(instance, first.cursor).run_requests == []
    standin.add_repository_to_installation(ADDED)
    comment = standin.add_issue_comment(ADDED, 51, "tomas-b", f"@{BOT_LOGIN} {LEAD}")
    standin.hooks.wait()
    result = tick(instance, first.cursor)
    assert [(r.run_key, r.tags["techlead/repo"]) for r in result.run_requests] == [(run_key_of(comment, LEAD), ADDED)]
    standin.remove_repository_from_installation(ADDED)
    later = standin.add_issue_comment(ADDED, 51, "tomas-b", f"@{BOT_LOGIN} {LEAD}")
    standin.hooks.wait()
    assert later["id"] and tick(instance, result.cursor).run_requests == []


def test_an_app_reinstalled_on_a_repository_is_served_by_its_new_installation(app_world, instance):
    """Uninstalled and installed again, the App has a new installation for the repository: the old
    id and its tokens are dead, and the sensor (a long-lived process) must not keep using them."""
    standin, _, _ = app_world
    first = tick(instance)
    standin.add_issue_comment(REPO, 51, "tomas-b", "warming the token cache")
    standin.hooks.wait()
    first = tick(instance, first.cursor)  # the sensor now holds a token of the first installation
    [old] = [i["id"] for i in standin.fixture.apps[0]["installations"]]
    standin.uninstall(old)
    new = standin.install([REPO])
    comment = standin.add_issue_comment(REPO, 51, "tomas-b", f"@{BOT_LOGIN} {LEAD}")
    standin.hooks.wait()
    result = tick(instance, first.cursor)
    assert [r.run_key for r in result.run_requests] == [run_key_of(comment, LEAD)]
    minted_for = {v["installation"]["id"] for v in standin.installation_tokens.values()}
    assert new in minted_for and old not in minted_for


def test_a_reinstall_nobody_told_the_sensor_about_loses_no_mention(app_world, instance):
    """The installation deliveries were missed: the first mention meets a dead token (401). It is not
    skipped: the next tick looks the repository's installation up afresh and handles it."""
    standin, _, service = app_world
    first = tick(instance)
    standin.add_issue_comment(REPO, 51, "tomas-b", "warming the token cache")
    standin.hooks.wait()
    first = tick(instance, first.cursor)
    [old] = [i["id"] for i in standin.fixture.apps[0]["installations"]]
    standin.configure_webhooks(None, None)  # the receiver hears nothing of the reinstall
    standin.uninstall(old)
    standin.install([REPO])
    standin.configure_webhooks(service.url, SECRET)
    comment = standin.add_issue_comment(REPO, 51, "tomas-b", f"@{BOT_LOGIN} {LEAD}")
    standin.hooks.wait()
    refused = tick(instance, first.cursor)
    result = refused if refused.run_requests else tick(instance, refused.cursor)
    assert [r.run_key for r in result.run_requests] == [run_key_of(comment, LEAD)]


def test_a_suspended_installation_costs_only_its_own_repositories(app_world, instance, monkeypatch):
    standin, _, _ = app_world
    monkeypatch.setenv("TECHLEAD_INSTALLATIONS_REFRESH_S", "0")  # read the installations every tick
    [first_id] = [i["id"] for i in standin.fixture.apps[0]["installations"]]
    standin.install([ADDED])
    first = tick(instance)
    standin.suspend(first_id)
    standin.hooks.wait()
    served = standin.add_issue_comment(ADDED, 51, "tomas-b", f"@{BOT_LOGIN} {LEAD}")
    standin.add_issue_comment(REPO, 51, "tomas-b", f"@{BOT_LOGIN} {LEAD}")  # no delivery, no token: not served
    standin.hooks.wait()
    result = tick(instance, first.cursor)
    assert [(r.run_key, r.tags["techlead/repo"]) for r in result.run_requests] == [(run_key_of(served, LEAD), ADDED)]


def test_a_delivery_committed_late_by_another_receiver_is_not_passed_over(app_world, instance, monkeypatch):
    """Two receivers on PostgreSQL: row 3 can be visible before row 2 commits. The sensor waits at the
    missing number while the row after it is recent; a number missing behind an old row was burned
    (a duplicate's failed insert) and is passed. Review bodies: no poll would find them instead."""
    import sqlalchemy as sa

    from techlead_pipeline.webhooks.store import DELIVERIES

    standin, store, _ = app_world
    monkeypatch.setenv("TECHLEAD_REDELIVERY_CHECK_S", "100000")  # GitHub has every delivery: none is asked again
    first = tick(instance)
    late = standin.add_review(REPO, 51, "tomas-b", f"@{BOT_LOGIN} {LEAD}")
    early = standin.add_review(REPO, 50, "li-wei", f"@{BOT_LOGIN} priya-r")  # another reviewer: its own run
    standin.hooks.wait()
    *_, row_late, row_early = store.after(0)
    with store._connect() as conn:  # the first receiver's transaction has not committed yet
        saved = conn.execute(sa.select(DELIVERIES).where(DELIVERIES.c.row_id == row_late.row_id)).mappings().one()
        conn.execute(DELIVERIES.delete().where(DELIVERIES.c.row_id == row_late.row_id))
    waited = tick(instance, first.cursor)
    assert waited.run_requests == []  # neither: the early row waits behind the missing number
    with store._connect() as conn:  # ... now it has
        conn.execute(DELIVERIES.insert().values(**saved))
    both = tick(instance, waited.cursor)
    keys = {r.run_key for r in both.run_requests}
    assert keys == {run_key_of(late, LEAD, source="review"), run_key_of(early, "priya-r", source="review")}
    burned = standin.add_review(REPO, 49, "li-wei", f"@{BOT_LOGIN} tomas-b")
    after = standin.add_review(REPO, 48, "li-wei", f"@{BOT_LOGIN} li-wei")
    standin.hooks.wait()
    *_, row_burned, row_after = store.after(0)
    with store._connect() as conn:
        conn.execute(DELIVERIES.delete().where(DELIVERIES.c.row_id == row_burned.row_id))
        conn.execute(
            DELIVERIES.update().where(DELIVERIES.c.row_id == row_after.row_id).values(received_at=time.time() - 60)
        )
    passed = tick(instance, both.cursor)
    assert [r.run_key for r in passed.run_requests] == [run_key_of(after, "li-wei", source="review")]
    assert burned["id"]


def test_deliveries_missed_while_the_service_was_down_are_recovered(app_world, instance):
    standin, store, service = app_world
    first = tick(instance)
    service.stop()  # the receiver is down: GitHub's deliveries fail
    comment = standin.add_issue_comment(REPO, 50, "li-wei", f"@{BOT_LOGIN} {LEAD}")
    standin.hooks.wait()
    assert standin.hooks.log[-1].status != "OK" and store.count() == 0
    again = BackgroundService(create_app(lambda: SECRET, lambda: store))
    standin.configure_webhooks(again.url, SECRET)
    try:
        recovering = tick(instance, first.cursor)  # asks GitHub to redeliver what never arrived
        standin.hooks.wait()
        assert standin.hooks.log[-1].redelivery and standin.hooks.log[-1].status == "OK"
        assert store.has(standin.hooks.log[-1].guid)
        handled = tick(instance, recovering.cursor)
        run_keys = [r.run_key for r in recovering.run_requests + handled.run_requests]
        assert run_keys == [run_key_of(comment, LEAD)]  # once: by the poll or the redelivery, never both
    finally:
        again.stop()


def test_a_mention_by_webhook_then_one_by_poll_repeat_nothing(app_world, instance, monkeypatch):
    """Issue 20: two mentions on one pull request, the first delivered as a webhook, the second read
    by the poll while the receiver is down; the second review posts nothing the first said."""
    from techlead_pipeline.defs.runner import tick_sensor

    monkeypatch.setenv("TECHLEAD_TRAINER", "none")  # retrieval only: the flow, not the model, is tested here
    monkeypatch.setenv("TECHLEAD_SEMANTIC_METRIC", "0")
    standin, store, service = app_world
    standin.add_issue_comment(REPO, 51, "tomas-b", f"@{BOT_LOGIN} {LEAD}")
    standin.hooks.wait()
    assert standin.hooks.log[-1].status == "OK"
    first = tick_sensor("pr_mentions", None, instance)
    assert [r.success for r in first.runs] == [True]
    [review] = standin.posted_reviews(REPO)
    assert review["comments"]
    service.stop()  # what follows reaches the bot by the poll only
    standin.add_issue_comment(REPO, 51, "li-wei", f"@{BOT_LOGIN} {LEAD} --full")
    standin.hooks.wait()
    assert standin.hooks.log[-1].status != "OK"
    second = tick_sensor("pr_mentions", first.cursor, instance)
    assert [r.success for r in second.runs] == [True]
    reviews = standin.posted_reviews(REPO)
    assert len(reviews) == 2 and reviews[1]["comments"] == []
    assert "already said on this pull request" in reviews[1]["review"]["body"]
    said = [(c["path"], c["side"], c["line"], c["body"]) for r in reviews for c in r["comments"]]
    assert len(said) == len(set(said))
