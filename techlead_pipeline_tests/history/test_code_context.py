"""The code around each comment, wherever the file went."""

from __future__ import annotations

import pytest

from techlead_pipeline.history.code_context import RepoMirror, anchor_text, extract_contexts, window_for
from techlead_pipeline.history.comments import collect_review_comments
from techlead_pipeline.sample.builder import LEAD


@pytest.fixture
def history(bot_access, lead_target):
    return collect_review_comments(bot_access, lead_target)


@pytest.fixture
def mirror(bot_access, tmp_path):
    with RepoMirror(bot_access, parent=tmp_path) as m:
        m.fetch_all()
        yield m


def _comment(history, **match) -> dict:
    df = history.comments
    for key, value in match.items():
        df = df[df[key] == value]
    return df.iloc[0].to_dict()


def test_window_is_centred_on_the_commented_line(history, mirror):
    comment = _comment(history, path="billing_core/refunds.py", side="RIGHT", subject_type="line")
    w = window_for(mirror, comment, window=20, max_bytes=10**6)
    assert w.status == "ok"
    lines = w.code.split("\n")
    assert lines[w.focus_line - w.start_line].rstrip() == anchor_text(comment["diff_hunk"], "RIGHT").rstrip()
    assert 10 <= len(lines) <= 21


def test_deleted_file_left_side_comment_reads_the_old_side(history, mirror):
    comment = _comment(history, path="billing_core/legacy_export.py")
    assert comment["side"] == "LEFT"
    w = window_for(mirror, comment, window=20, max_bytes=10**6)
    assert w.status == "ok" and "def export_csv" in w.code


def test_renamed_file_comment_reads_the_new_path(history, mirror):
    comment = _comment(history, path="billing_core/helpers.py")
    w = window_for(mirror, comment, window=20, max_bytes=10**6)
    assert w.status == "ok" and w.sha == comment["original_commit_id"]


def test_binary_file_comment_has_no_code(history, mirror):
    w = window_for(mirror, _comment(history, path="docs/logo.png"), window=20, max_bytes=10**6)
    assert w.status == "binary" and w.code == ""


def test_moved_line_is_found_near_where_it_was(history, mirror):
    lead = history.comments[(history.comments["user"] == LEAD) & (history.comments["side"] == "RIGHT")]
    comment = next(c for c in lead.to_dict("records") if anchor_text(c["diff_hunk"], "RIGHT").strip())
    exact = window_for(mirror, comment, window=20, max_bytes=10**6)
    shifted = dict(comment, original_line=comment["original_line"] + 3)
    w = window_for(mirror, shifted, window=20, max_bytes=10**6)
    assert w.status == "moved" and w.focus_line == exact.focus_line


def test_unreadable_files_fall_back_to_the_hunk(history, mirror):
    comment = _comment(history, path="billing_core/refunds.py", side="RIGHT", subject_type="line")
    too_big = window_for(mirror, comment, window=20, max_bytes=100)
    assert too_big.status == "too_large" and too_big.code.split("\n")[-1] == anchor_text(comment["diff_hunk"], "RIGHT")
    gone = window_for(
        mirror, dict(comment, original_commit_id="0" * 40, commit_id="0" * 40), window=20, max_bytes=10**6
    )
    assert gone.status == "commit_gone" and gone.code


def test_every_comment_gets_a_context_from_two_fetches(history, mirror, standin):
    """One fetch of commits and trees (a partial clone), one batch of the file versions the comments
    need: never a request per file."""
    mark = len(standin.requests)
    contexts = extract_contexts(mirror, history.comments, history.pulls)
    assert len(contexts) == len(history.comments)
    assert set(contexts["status"]) <= {"ok", "binary"}
    assert mirror.fetches == 2 and mirror.api_reads == 0 and mirror.blobs_fetched > 0
    git_requests = [r for r in standin.requests[mark:] if r["kind"] == "git"]
    assert len(git_requests) <= 3  # the batch's negotiation and pack, not one per file
