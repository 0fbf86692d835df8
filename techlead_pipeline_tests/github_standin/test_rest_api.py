"""PyGithub, unmodified, reads and writes every endpoint the pipeline uses on the stand-in."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import requests
from github import Auth, Github, GithubException, GithubIntegration, UnknownObjectException

from techlead_pipeline.sample.builder import APP_ID, BOT_LOGIN, LEAD, app_private_key_pem
from techlead_pipeline_tests.conftest import SAMPLE_REPO


@pytest.fixture
def gh(standin):
    client = Github(
        base_url=standin.api_url,
        auth=Auth.Token(standin.token_for(BOT_LOGIN)),
        per_page=100,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    yield client
    client.close()


def fixture_records(sample_fixture, name):
    return json.loads((sample_fixture / "repos" / SAMPLE_REPO / name).read_text())


def test_repo_wide_review_comments_match_the_fixture(gh, sample_fixture):
    repo = gh.get_repo(SAMPLE_REPO)
    got = list(repo.get_pulls_review_comments(sort="created", direction="desc"))
    expected = fixture_records(sample_fixture, "review_comments.json")
    assert sorted(c.id for c in got) == sorted(r["id"] for r in expected)
    created = [c.created_at for c in got]
    assert created == sorted(created, reverse=True)
    first = next(c for c in got if c.line is None and c.original_line)  # an outdated comment
    assert first.original_commit_id != first.commit_id
    assert first.diff_hunk.startswith("@@")


def test_pull_files_contents_and_diff(gh, standin):
    repo = gh.get_repo(SAMPLE_REPO)
    pr = repo.get_pull(51)
    files = {f.filename: f for f in pr.get_files()}
    assert files["docs/logo.png"].patch is None  # binary: GitHub sends no patch
    assert files["tests/test_invoice_module.py"].status == "renamed"
    assert files["tests/test_invoice_module.py"].previous_filename == "tests/test_invoices.py"
    assert "\\ No newline at end of file" in files["billing_core/settings.toml"].patch
    content = repo.get_contents("billing_core/refunds.py", ref=pr.head.sha)
    assert b"def " in content.decoded_content
    with pytest.raises(UnknownObjectException):
        repo.get_contents("does/not/exist.py", ref=pr.head.sha)
    diff = requests.get(
        f"{standin.api_url}/repos/{SAMPLE_REPO}/pulls/51",
        headers={"Authorization": f"token {standin.token_for(BOT_LOGIN)}", "Accept": "application/vnd.github.v3.diff"},
        timeout=10,
    )
    assert diff.text.startswith("diff --git")


def test_issue_comments_since_and_posting(gh, standin):
    repo = gh.get_repo(SAMPLE_REPO)
    cutoff = datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert list(repo.get_issues_comments(since=cutoff)) == []
    pr = repo.get_pull(50)
    posted = pr.create_issue_comment("hello from a test")
    assert posted.user.login == BOT_LOGIN
    recent = list(repo.get_issues_comments(since=datetime(2026, 1, 1, tzinfo=timezone.utc)))
    assert [c.id for c in recent] == [posted.id]
    assert standin.posted_issue_comments()[0]["comment"]["body"] == "hello from a test"


def test_review_with_valid_anchors_is_recorded_and_invalid_ones_get_422(gh, standin):
    repo = gh.get_repo(SAMPLE_REPO)
    pr = repo.get_pull(51)
    patch = next(f for f in pr.get_files() if f.filename == "billing_core/refunds.py").patch
    start = int(patch.split("+", 2)[1].split(",")[0])  # first new line of the only hunk
    review = pr.create_review(
        commit=repo.get_commit(pr.head.sha),
        body="summary",
        event="COMMENT",
        comments=[{"path": "billing_core/refunds.py", "line": start + 3, "side": "RIGHT", "body": "a comment"}],
    )
    assert review.state == "COMMENTED"
    assert [r.id for r in pr.get_reviews()] == [review.id]
    assert standin.posted_reviews()[0]["comments"][0]["line"] == start + 3
    with pytest.raises(GithubException) as err:
        pr.create_review(
            body="x",
            event="COMMENT",
            comments=[{"path": "billing_core/refunds.py", "line": 1, "side": "RIGHT", "body": "no"}],
        )
    assert err.value.status == 422
    assert len(standin.posted_reviews()) == 1


def test_collaborator_permission_users_and_search(gh):
    repo = gh.get_repo(SAMPLE_REPO)
    assert repo.get_collaborator_permission(LEAD) == "admin"
    assert repo.get_collaborator_permission("sam-okafor") == "none"  # private repo, not a collaborator
    assert gh.get_user(LEAD).type == "User"
    with pytest.raises(UnknownObjectException):
        gh.get_user("nobody-by-this-name")
    assert sorted(i.number for i in gh.search_issues(f"repo:{SAMPLE_REPO} is:pr author:{LEAD}")) == [9, 21, 33, 42]


def test_rate_limit_endpoint_and_headers(gh, standin):
    before = gh.get_rate_limit().resources.core
    gh.get_repo(SAMPLE_REPO).get_pull(3)
    after = gh.get_rate_limit().resources.core
    assert before.limit == 5000
    assert after.remaining == before.remaining - 2  # repo + pull; /rate_limit itself is free, as on GitHub
    response = requests.get(
        f"{standin.api_url}/repos/{SAMPLE_REPO}",
        headers={"Authorization": f"token {standin.token_for(BOT_LOGIN)}"},
        timeout=10,
    )
    for header in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Used"):
        assert header in response.headers


def test_pagination_link_headers_per_page_and_sorting(standin):
    auth = {"Authorization": f"token {standin.token_for(BOT_LOGIN)}"}
    url = f"{standin.api_url}/repos/{SAMPLE_REPO}/pulls/comments"
    seen, pages = [], 0
    next_url = f"{url}?per_page=100&sort=created&direction=asc"
    while next_url:
        page = requests.get(next_url, headers=auth, timeout=10)
        pages += 1
        assert len(page.json()) <= 100
        seen += page.json()
        next_url = page.links.get("next", {}).get("url")
    assert pages == 4 and len(seen) == len({c["id"] for c in seen})
    assert [c["created_at"] for c in seen] == sorted(c["created_at"] for c in seen)
    capped = requests.get(f"{url}?per_page=500", headers=auth, timeout=10)
    assert len(capped.json()) == 100 and 'rel="last"' in capped.headers["Link"]
    default = requests.get(url, headers=auth, timeout=10)
    assert len(default.json()) == 30
    since = requests.get(f"{url}?since=2025-02-01T00:00:00Z&per_page=100", headers=auth, timeout=10).json()
    assert 0 < len(since) < len(seen) and all(c["updated_at"] >= "2025-02-01T00:00:00Z" for c in since)


def test_etag_conditional_request_is_free(standin):
    auth = {"Authorization": f"token {standin.token_for(BOT_LOGIN)}"}
    url = f"{standin.api_url}/repos/{SAMPLE_REPO}/issues/comments?per_page=100"
    first = requests.get(url, headers=auth, timeout=10)
    again = requests.get(url, headers={**auth, "If-None-Match": first.headers["ETag"]}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    assert again.headers["X-RateLimit-Remaining"] == first.headers["X-RateLimit-Remaining"]
    standin.add_issue_comment(SAMPLE_REPO, 50, "tomas-b", "a new comment changes the etag")
    changed = requests.get(url, headers={**auth, "If-None-Match": first.headers["ETag"]}, timeout=10)
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]


def test_bad_token_and_anonymous_access_to_a_private_repo(standin):
    bad = requests.get(f"{standin.api_url}/repos/{SAMPLE_REPO}", headers={"Authorization": "token nope"}, timeout=10)
    assert bad.status_code == 401
    anon = requests.get(f"{standin.api_url}/repos/{SAMPLE_REPO}", timeout=10)
    assert anon.status_code == 404  # GitHub hides private repositories from strangers


def test_github_app_installation_flow(standin):
    app_auth = Auth.AppAuth(APP_ID, app_private_key_pem().decode())
    with GithubIntegration(auth=app_auth, base_url=standin.api_url) as integration:
        installation = integration.get_repo_installation(*SAMPLE_REPO.split("/"))
    gh = Github(
        auth=app_auth.get_installation_auth(installation.id),
        base_url=standin.api_url,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    pr = gh.get_repo(SAMPLE_REPO).get_pull(50)
    comment = pr.create_issue_comment("posted as the app")
    assert comment.user.login == f"{BOT_LOGIN}[bot]" and comment.user.type == "Bot"
