"""Posting survives GitHub's failures without ever posting twice — including the worst case, where
GitHub processed the request and only its answer was lost."""

from __future__ import annotations

import pytest

from techlead_pipeline.reviews.replies import post_reply
from techlead_pipeline.reviews.service import make_backend, review_pull_request
from techlead_pipeline_tests.conftest import SAMPLE_REPO

WRITE_FAULTS = {
    "answer lost after GitHub posted (502)": dict(kind="lost_response", times=1),
    "502 before posting, twice": dict(kind="bad_gateway", times=2),
    "secondary rate limit with Retry-After": dict(kind="secondary_rate_limit", retry_after=1, times=1),
    "429": dict(kind="too_many_requests", retry_after=1, times=1),
    "connection reset": dict(kind="reset", times=1),
}


@pytest.mark.parametrize("fault", list(WRITE_FAULTS), ids=list(WRITE_FAULTS))
def test_a_review_is_posted_exactly_once(fault, served, settings, standin, bot_access, lead_target):
    standin.faults.add(method="POST", path=r"/pulls/51/reviews", **WRITE_FAULTS[fault])
    backend = make_backend("retrieval", lead_target, served, settings.adapters_dir)
    outcome = review_pull_request(bot_access, lead_target, 51, backend, served, mention_id="m-1")
    assert standin.faults.rules()[0].fired == WRITE_FAULTS[fault]["times"]
    [posted] = standin.posted_reviews()
    assert outcome.posted.review_id == posted["review"]["id"] and len(posted["comments"]) == len(outcome.comments)


@pytest.mark.parametrize("fault", ["answer lost after GitHub posted (502)", "502 before posting, twice"])
def test_a_reply_is_posted_exactly_once(fault, settings, standin, bot_access):
    standin.faults.add(method="POST", path=r"/issues/51/comments", **WRITE_FAULTS[fault])
    assert post_reply(bot_access, SAMPLE_REPO, 51, "a polite refusal", mention_id="m-2", kind="refusal")
    assert post_reply(bot_access, SAMPLE_REPO, 51, "a polite refusal", mention_id="m-2", kind="refusal") is False
    [reply] = standin.posted_issue_comments()
    assert reply["comment"]["body"].startswith("a polite refusal")


def test_a_permission_refusal_is_not_retried(settings, standin, bot_access):
    standin.faults.add(
        method="POST", path=r"/issues/51/comments", kind="status", status=403, message="Forbidden", times=-1
    )
    from github import GithubException

    with pytest.raises(GithubException) as err:
        post_reply(bot_access, SAMPLE_REPO, 51, "hello", mention_id="m-3")
    assert err.value.status == 403 and standin.faults.rules()[0].fired == 1
