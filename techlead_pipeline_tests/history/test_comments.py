"""Collection is faithful, cheap, bounded, and identical whatever faults GitHub throws at it."""

from __future__ import annotations

import json

import pytest

from techlead_pipeline.common.errors import (
    GitHubUnavailableError,
    NotAReviewerError,
    UnknownRepositoryError,
    UnknownReviewerError,
)
from techlead_pipeline.common.partitions import reviewer_repo
from techlead_pipeline.github_api.token_vault import load_keys
from techlead_pipeline.history.checkpoint import CollectionCheckpoint
from techlead_pipeline.history.comments import collect_review_comments
from techlead_pipeline.sample.builder import LEAD
from techlead_pipeline_tests.conftest import SAMPLE_REPO, files_under


def fixture_comments(sample_fixture) -> list[dict]:
    return json.loads((sample_fixture / "repos" / SAMPLE_REPO / "review_comments.json").read_text())


def test_collects_every_human_comment_with_its_fields(bot_access, lead_target, sample_fixture, standin):
    history = collect_review_comments(bot_access, lead_target)
    truth = [c for c in fixture_comments(sample_fixture) if not c["user"].endswith("[bot]")]
    assert sorted(history.comments["id"]) == sorted(c["id"] for c in truth)
    lead = history.reviewer_comments
    assert len(lead) == sum(c["user"] == LEAD for c in truth)
    row = lead.set_index("id").loc[truth[0]["id"] if truth[0]["user"] == LEAD else lead["id"].iloc[0]]
    for col in ("body", "path", "commit_id", "original_commit_id", "diff_hunk", "side", "html_url"):
        assert isinstance(row[col], str) and row[col] != "" or col == "side"
    assert history.authored_prs == [9, 21, 33, 42]  # from the pull-request list: no search (1,000 results at most)
    assert history.stats["stopped"] == "end of history"
    # repo-wide endpoint: 4 pages of 100, plus user, repo and pull-request list look-ups, counted
    # by the stand-in (which leaves optional fields out, as GitHub does: no comment is fetched again)
    paths = [r["path"] for r in standin.api_calls()]
    assert paths.count(f"/repos/{SAMPLE_REPO}/pulls/comments") == 4
    assert not any("/pulls/" in p and p.endswith("/comments") and "pulls/comments" not in p for p in paths)
    assert not any("/pulls/comments/" in p for p in paths)
    assert not any(p.startswith("/search/") for p in paths)
    assert len(paths) == history.stats["api_calls"] == 7
    pulls = json.loads((sample_fixture / "repos" / SAMPLE_REPO / "pulls.json").read_text())
    assert history.pulls == {
        p["number"]: {
            "base_sha": p["base_sha"],
            "base_ref": p["base_ref"],
            "head_sha": p["head_sha"],
            "author": p["user"],
        }
        for p in pulls
        if p["number"] in set(history.comments["pull_number"])
    }


def test_a_short_page_is_not_the_last_page(bot_access, lead_target, standin):
    """GitHub may filter a page after cutting it (items the caller may not see), so a page of fewer
    than 100 comments can have more after it: only the Link header says where the history ends."""
    clean = collect_review_comments(bot_access, lead_target).comments
    standin.faults.add(kind="short_page", path=r"/pulls/comments\?.*page=2", times=-1)
    short = collect_review_comments(bot_access, lead_target).comments
    assert standin.faults.rules()[0].fired == 1
    hidden = set(clean["id"]) - set(short["id"])
    assert 40 <= len(hidden) <= 50  # half of page 2 filtered out, and nothing after it lost
    assert set(short["id"]) < set(clean["id"])
    assert max(clean["created_at"]) == max(short["created_at"]) and min(clean["created_at"]) == min(short["created_at"])


def test_a_comment_deleted_mid_collection_is_no_error(bot_access, lead_target, standin):
    """Absent optional fields are read as absent, never completed by fetching the comment again
    (which, for a comment deleted in the meantime, would be an uncaught 404)."""
    repo = standin.repo_state(SAMPLE_REPO)
    first = collect_review_comments(bot_access, lead_target)
    standin.faults.add(kind="status", status=404, path=r"/pulls/comments/\d+", times=-1)
    again = collect_review_comments(bot_access, lead_target)
    assert again.comments.equals(first.comments)
    assert standin.faults.rules()[0].fired == 0
    assert any(c.get("in_reply_to_id") is None for c in repo.review_comments)


def test_caps_at_the_newest_pull_requests(bot_access, lead_target):
    full = collect_review_comments(bot_access, lead_target)
    capped = collect_review_comments(bot_access, lead_target, max_prs=5)
    lead = capped.reviewer_comments
    assert lead["pull_number"].nunique() == 5
    newest_five = list(dict.fromkeys(full.reviewer_comments["pull_number"]))[:5]
    assert set(lead["pull_number"]) == set(newest_five)
    assert capped.stats["stopped"].startswith("reached the cap")


def test_unknown_user_bot_and_unknown_repo_are_clear_errors(bot_access):
    with pytest.raises(UnknownReviewerError, match="ghost-reviewer-x"):
        collect_review_comments(bot_access, reviewer_repo("ghost-reviewer-x", SAMPLE_REPO))
    with pytest.raises(NotAReviewerError, match="organization"):
        collect_review_comments(bot_access, reviewer_repo("acme-labs", SAMPLE_REPO))
    with pytest.raises(UnknownRepositoryError, match="acme-labs/nope"):
        collect_review_comments(bot_access, reviewer_repo(LEAD, "acme-labs/nope"))


def test_user_with_no_comments_yields_an_empty_reviewer_history(bot_access):
    history = collect_review_comments(bot_access, reviewer_repo("new-hire", SAMPLE_REPO))
    assert history.reviewer_comments.empty and not history.comments.empty


FAULTS = {
    "secondary rate limit with Retry-After": dict(kind="secondary_rate_limit", retry_after=1, times=2),
    "secondary rate limit without Retry-After": dict(kind="secondary_rate_limit", times=1),
    "429 with Retry-After": dict(kind="too_many_requests", retry_after=1, times=2),
    "502 burst": dict(kind="bad_gateway", times=3),
    "connection reset": dict(kind="reset", times=2),
    "truncated body": dict(kind="truncate", times=2),
    "latency spike": dict(kind="latency", latency_ms=400, times=3),
}


@pytest.mark.parametrize("fault", list(FAULTS), ids=list(FAULTS))
def test_faults_mid_collection_change_nothing(fault, bot_access, lead_target, standin):
    clean = collect_review_comments(bot_access, lead_target).comments
    standin.faults.add(path=r"/pulls/comments\?.*page=2", **FAULTS[fault])
    faulted = collect_review_comments(bot_access, lead_target).comments
    assert standin.faults.rules()[0].fired >= 1
    assert faulted.equals(clean)


def test_resumes_from_the_last_complete_page(bot_access, lead_target, standin, settings, sample_fixture):
    fernet = load_keys(settings.secrets_dir)
    params = {"reviewer": LEAD, "repo": SAMPLE_REPO}
    folder = settings.checkpoints_dir / lead_target.key
    standin.faults.add(kind="status", status=500, path=r"/pulls/comments\?.*page=3", times=-1)
    with pytest.raises(GitHubUnavailableError):
        collect_review_comments(
            bot_access, lead_target, checkpoint=CollectionCheckpoint(folder, fernet, params, ttl_s=3600)
        )
    saved = files_under(folder)
    assert len([p for p in saved if p.name.startswith("page-")]) == 2
    hunk_line = fixture_comments(sample_fixture)[-1]["diff_hunk"].splitlines()[-1]
    assert all(hunk_line.encode() not in p.read_bytes() for p in saved)  # pages are encrypted at rest
    standin.faults.clear()
    mark = len(standin.requests)
    resumed = collect_review_comments(
        bot_access, lead_target, checkpoint=CollectionCheckpoint(folder, fernet, params, ttl_s=3600)
    )
    pages = [r["path"] for r in standin.api_calls(mark) if r["path"].endswith("/pulls/comments")]
    assert len(pages) == 2  # pages 3 and 4 only
    assert resumed.stats["resumed_from_page"] == 2
    assert resumed.comments.equals(collect_review_comments(bot_access, lead_target).comments)
    assert not folder.exists()  # a finished collection leaves no checkpoint behind


def test_checkpoint_of_another_collection_or_expired_is_ignored(settings, lead_target):
    fernet = load_keys(settings.secrets_dir)
    folder = settings.checkpoints_dir / lead_target.key
    next_url = "https://api.github.com/repositories/1/pulls/comments?page=2"
    CollectionCheckpoint(folder, fernet, {"a": 1}, ttl_s=3600).save_page(1, [{"id": 1}], next_url)
    assert CollectionCheckpoint(folder, fernet, {"a": 1}, ttl_s=3600).load() == (1, [[{"id": 1}]], next_url)
    assert CollectionCheckpoint(folder, fernet, {"a": 2}, ttl_s=3600).load() == (0, [], None)
    CollectionCheckpoint(folder, fernet, {"a": 1}, ttl_s=3600).save_page(1, [{"id": 1}], next_url)
    assert CollectionCheckpoint(folder, fernet, {"a": 1}, ttl_s=-1).load() == (0, [], None)
