"""Polling costs one request per repository, and nothing at all when nothing happened."""

from __future__ import annotations

from datetime import datetime, timezone

from techlead_pipeline.mentions.poll import MentionCursor, poll_comments
from techlead_pipeline_tests.conftest import SAMPLE_REPO


def test_new_comments_once_then_free_304s(bot_access, standin):
    cursor = MentionCursor.load(None)
    repo_cursor = cursor.for_repo(SAMPLE_REPO, lookback_s=3600)
    assert poll_comments(bot_access, SAMPLE_REPO, repo_cursor).comments == []  # old history is not news
    standin.add_issue_comment(SAMPLE_REPO, 51, "tomas-b", "@tech-lead-bot mira-kovacs")
    first = poll_comments(bot_access, SAMPLE_REPO, repo_cursor)
    assert [c["body"] for c in first.comments] == ["@tech-lead-bot mira-kovacs"] and first.requests == 1
    again = poll_comments(bot_access, SAMPLE_REPO, repo_cursor)
    assert again.comments == []  # the boundary comment is remembered, not handled twice
    mark = len(standin.requests)
    idle = poll_comments(bot_access, SAMPLE_REPO, repo_cursor)
    assert idle.not_modified and idle.comments == []
    [call] = standin.api_calls(mark)
    assert call["status"] == 304 and call["counted"] is False
    restored = MentionCursor.load(cursor.dump()).for_repo(SAMPLE_REPO, 3600)
    assert restored.since == repo_cursor.since and restored.etag == repo_cursor.etag


def test_a_new_repository_starts_from_the_lookback_window():
    now = datetime(2026, 1, 2, 12, 0, tzinfo=timezone.utc)
    assert MentionCursor.load(None).for_repo("o/r", 3600, now=now).since == "2026-01-02T11:00:00Z"


def test_a_full_first_page_does_not_hide_newer_comments_behind_a_304(bot_access, standin):
    """150 comments in one second (a flood) fill the first page; its ETag stays the same while newer
    comments land on the next page, so it must not be sent again."""
    repo_cursor = MentionCursor.load(None).for_repo(SAMPLE_REPO, lookback_s=3600)
    for i in range(150):
        standin.add_issue_comment(SAMPLE_REPO, 47 + i % 5, f"drive-by-{i}", "@tech-lead-bot mira-kovacs")
    assert len(poll_comments(bot_access, SAMPLE_REPO, repo_cursor).comments) == 150
    later = standin.add_issue_comment(SAMPLE_REPO, 52, "li-wei", "@tech-lead-bot mira-kovacs")
    assert [c["id"] for c in poll_comments(bot_access, SAMPLE_REPO, repo_cursor).comments] == [later["id"]]


def test_a_short_first_page_is_not_taken_for_the_last(bot_access, standin):
    """GitHub may filter a page after cutting it: only its Link header says whether more follow."""
    repo_cursor = MentionCursor.load(None).for_repo(SAMPLE_REPO, lookback_s=3600)
    asked = [
        standin.add_issue_comment(SAMPLE_REPO, 47 + i % 5, f"asker-{i}", "@tech-lead-bot mira-kovacs")
        for i in range(130)
    ]
    standin.faults.add(kind="short_page", path=r"/issues/comments\?", times=1)
    seen = poll_comments(bot_access, SAMPLE_REPO, repo_cursor).comments
    assert standin.faults.rules()[0].fired == 1
    assert {c["id"] for c in asked[100:]} <= {c["id"] for c in seen}  # the second page was read
    assert repo_cursor.etag is None  # two pages: no ETag kept
