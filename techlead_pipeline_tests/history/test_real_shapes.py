"""Where history meets the shapes of real repositories: pull requests based on a branch other than
the default one, pull requests of several commits, comments GitHub sends without `original_line`."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from techlead_pipeline.common.partitions import reviewer_repo
from techlead_pipeline.common.settings import Settings
from techlead_pipeline.github_api.client import GitHubAccess, GitHubCredentials
from techlead_pipeline.github_api.token_vault import Secret
from techlead_pipeline.github_standin import GitHubStandin
from techlead_pipeline.history.code_context import RepoMirror, extract_contexts, window_for
from techlead_pipeline.history.comments import collect_review_comments
from techlead_pipeline.history.pull_chunks import reviewed_pull_chunks
from techlead_pipeline_tests.mini_fixture import BOT, LEAD, MiniRepo

LINES = [f"value_{i} = compute({i})" for i in range(1, 41)]


def _text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def stacked_fixture(tmp_path_factory):
    """PR #1 goes from `feat` into `release` (not main), in two commits; release has a file main lacks."""
    repo = MiniRepo(tmp_path_factory.mktemp("stacked"))
    repo.commit("main", {"svc.py": _text(LINES)}, "base")
    repo.commit("release", {"release_notes.py": "NOTES = []\n"}, "release branch", start="main")
    without_10 = LINES[:9] + LINES[10:]
    repo.commit("feat", {"svc.py": _text(without_10)}, "drop value_10", start="release")
    later = without_10[:23] + ["value_25 = compute(25) * 2"] + without_10[24:] + ["extra = 1"]
    repo.commit("feat", {"svc.py": _text(later)}, "double value_25")
    pr = repo.pull(1, head="feat", base="release")
    pr["commits"] = 2
    repo.review_comment(pr, LEAD, "why drop value_10? finance reads it.", "svc.py", 10, side="LEFT")
    added = repo.review_comment(pr, LEAD, "no magic `* 2` please, name the factor.", "svc.py", 24)
    added["original_line"] = None  # as GitHub sometimes sends it: only `line`, on commit_id
    return repo.write()


@contextmanager
def collected(fixture, tmp_path):
    """The lead's history collected from the stand-in serving `fixture`, and a fetched mirror."""
    with GitHubStandin(fixture) as server:
        settings = Settings(
            github_api_url=server.api_url, github_web_url=server.url, home=tmp_path / "home", seconds_between_writes=0
        )
        access = GitHubAccess(settings, GitHubCredentials(token=Secret(server.token_for(BOT))), "octo/widgets")
        history = collect_review_comments(access, reviewer_repo(LEAD, "octo/widgets"))
        with RepoMirror(access, parent=tmp_path) as mirror:
            mirror.fetch_all()
            yield history, mirror
        assert not server.contract_violations


@pytest.fixture
def stacked(stacked_fixture, tmp_path):
    with collected(stacked_fixture, tmp_path) as found:
        yield found


def test_left_side_context_is_read_at_the_pull_requests_base_not_the_parent_commit(stacked):
    history, mirror = stacked
    comment = history.comments[history.comments["side"] == "LEFT"].iloc[0].to_dict()
    w = window_for(mirror, comment, 20, 10**6, history.pulls[1]["base_sha"])
    assert w.status == "ok"
    assert w.code.split("\n")[w.focus_line - w.start_line] == "value_10 = compute(10)"
    contexts = extract_contexts(mirror, history.comments, history.pulls)
    assert set(contexts["status"]) == {"ok"}


def test_reviewed_chunks_are_those_of_the_pull_request_against_its_own_base(stacked):
    history, mirror = stacked
    chunks = reviewed_pull_chunks(mirror, history.reviewer_comments, history.default_branch, history.pulls)
    assert set(chunks["path"]) == {"svc.py"}  # not release_notes.py, which main lacks and release has


def test_a_comment_with_only_line_set_is_not_taken_for_silence(stacked):
    history, mirror = stacked
    chunks = reviewed_pull_chunks(mirror, history.reviewer_comments, history.default_branch, history.pulls)
    silent = chunks[(chunks["level"] == "line") & (chunks["side"] == "RIGHT")]
    assert 24 not in set(silent["focus_line"])
    commented = chunks[(chunks["level"] == "chunk") & chunks["commented"]]
    assert len(commented) == 2


@pytest.fixture(scope="module")
def ranges_fixture(tmp_path_factory):
    """PR #1: one multi-line comment over lines 5-8 of a block of added lines. PR #2, pushed twice:
    a comment on its first commit's `a.py`, and the most comments on the second commit's `b.py`."""
    repo = MiniRepo(tmp_path_factory.mktemp("ranges"))
    repo.commit("main", {"svc.py": _text(LINES), "a.py": _text(LINES), "b.py": _text(LINES)}, "base")
    block = LINES[:3] + [f"new_{i} = {i}" for i in range(8)] + LINES[3:]
    repo.commit("feat", {"svc.py": _text(block)}, "a block", start="main")
    pr1 = repo.pull(1, head="feat", base="main")
    repo.review_comment(pr1, LEAD, "this whole block wants a loop.", "svc.py", 8, start_line=5, original_start_line=5)
    first = repo.commit("two", {"a.py": _text(LINES[:5] + ["tmp = 1"] + LINES[5:])}, "first push", start="main")
    repo.commit("two", {"b.py": _text(LINES[:9] + ["more = 2"] + LINES[9:])}, "second push")
    pr2 = repo.pull(2, head="two", base="main")
    repo.review_comment(pr2, LEAD, "what is tmp for?", "a.py", 6, commit=first)
    repo.review_comment(pr2, LEAD, "name it better.", "b.py", 10)
    repo.review_comment(pr2, LEAD, "and add a test.", "b.py", 10)
    return repo.write()


@pytest.fixture
def ranges(ranges_fixture, tmp_path):
    with collected(ranges_fixture, tmp_path) as (history, mirror):
        yield reviewed_pull_chunks(mirror, history.reviewer_comments, history.default_branch, history.pulls)


def test_no_line_of_a_multi_line_comment_is_taken_for_silence(ranges):
    silent = ranges[(ranges["level"] == "line") & (ranges["pull_number"] == 1)]
    assert not set(silent["focus_line"]) & {5, 6, 7, 8}  # the range the comment covers
    assert {4, 9, 10, 11} <= set(silent["focus_line"])  # the block's other lines were passed over


def test_a_file_commented_at_another_commit_is_not_taken_for_silence(ranges):
    pr2 = ranges[ranges["pull_number"] == 2]
    # Commented on the first push: placed at head by the text of the line it sat on (`tmp = 1`), and
    # none of the file's lines taken for silence.
    assert set(pr2[pr2["commented"]]["path"]) == {"a.py", "b.py"}
    assert pr2[(pr2["path"] == "a.py") & (pr2["level"] == "line")].empty
    [hunk] = pr2[(pr2["path"] == "a.py") & (pr2["level"] == "chunk")].itertuples()
    assert hunk.focus_line == 6 and len(hunk.comment_ids) == 1
