"""Real histories lose objects: a commit force-pushed away, a blob GitHub no longer has. Real git
against the stand-in, public and private: every object that exists is fetched, what is gone costs
the examples that need it and nothing else, and it is counted by kind."""

from __future__ import annotations

import logging
from contextlib import contextmanager

import pytest

from techlead_pipeline.common.partitions import reviewer_repo
from techlead_pipeline.common.settings import Settings
from techlead_pipeline.github_api.client import GitHubAccess, GitHubCredentials
from techlead_pipeline.github_api.token_vault import Secret
from techlead_pipeline.github_standin import GitHubStandin
from techlead_pipeline.history import mirror as mirror_module
from techlead_pipeline.history.code_context import RepoMirror, extract_contexts
from techlead_pipeline.history.comments import collect_review_comments
from techlead_pipeline.history.mirror import COMMIT, FILE_VERSION
from techlead_pipeline.history.pull_chunks import reviewed_pull_chunks
from techlead_pipeline_tests.mini_fixture import BOT, LEAD, MiniRepo

LINES = [f"value_{i} = compute({i})" for i in range(1, 41)]


def _text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def _with(lines: list[str], at: int, new: str) -> list[str]:
    return lines[: at - 1] + [new] + lines[at:]


def _build(root, private: bool):
    """#1 was force-pushed: the lead commented on its first push (gone from GitHub) and again on the
    second. #2 changes c.py (twice) and d.py, and GitHub no longer has d.py's new version. #3's only comment
    sat on a commit that is gone, and is outdated (no `line` on the current commit)."""
    repo = MiniRepo(root)
    base = repo.commit("main", {name: _text(LINES) for name in ("a.py", "b.py", "c.py", "d.py", "e.py")}, "base")
    first_push = repo.commit("feat", {"a.py": _text(_with(LINES, 5, "tmp = 1"))}, "first push", start="main")
    repo.rewind("feat", base)
    repo.commit(
        "feat", {"a.py": _text(_with(LINES, 5, "tmp = 1")), "b.py": _text(_with(LINES, 9, "more = 2"))}, "again"
    )
    pr1 = repo.pull(1, head="feat", base="main")
    on_gone = repo.review_comment(pr1, LEAD, "what is tmp for?", "a.py", 5)
    on_gone["original_commit_id"] = first_push  # written on the first push, still on line 5 of the head
    repo.review_comment(pr1, LEAD, "name it better.", "b.py", 9)
    repo.commit(
        "two",
        {"c.py": _text(_with(_with(LINES, 20, "x = 0"), 35, "w = 0")), "d.py": _text(_with(LINES, 30, "y = 0"))},
        "two",
        start="main",
    )
    pr2 = repo.pull(2, head="two", base="main")
    repo.review_comment(pr2, LEAD, "why zero?", "c.py", 20)
    lost_blob = repo.sha("two:d.py")
    repo.commit("three", {"e.py": _text(_with(LINES, 12, "z = 9"))}, "three", start="main")
    pr3 = repo.pull(3, head="three", base="main")
    outdated = repo.review_comment(pr3, LEAD, "z?", "e.py", 12)
    outdated.update(original_commit_id="1" * 40, line=None, position=None)
    return repo.write(private=private, lose=(lost_blob,)), {"first_push": first_push, "lost_blob": lost_blob}


@pytest.fixture(scope="module", params=["public", "private"])
def gappy(request, tmp_path_factory):
    return _build(tmp_path_factory.mktemp(f"gappy-{request.param}"), private=request.param == "private")


@contextmanager
def _collected(fixture, tmp_path):
    with GitHubStandin(fixture) as server:
        settings = Settings(
            github_api_url=server.api_url, github_web_url=server.url, home=tmp_path / "home", seconds_between_writes=0
        )
        token = server.token_for(BOT)
        access = GitHubAccess(settings, GitHubCredentials(token=Secret(token)), "octo/widgets")
        history = collect_review_comments(access, reviewer_repo(LEAD, "octo/widgets"))
        with RepoMirror(access, parent=tmp_path) as mirror:
            mirror.fetch_all(history.default_branch, history.comments["pull_number"])
            yield history, mirror, token
        assert not server.contract_violations


def test_what_exists_is_kept_and_what_is_gone_costs_only_its_examples(gappy, tmp_path, caplog):
    fixture, made = gappy
    caplog.set_level(logging.INFO)
    with _collected(fixture, tmp_path) as (history, mirror, token):
        contexts = extract_contexts(mirror, history.comments, history.pulls)
        chunks = reviewed_pull_chunks(mirror, history.reviewer_comments, history.default_branch, history.pulls)
        gaps = mirror.gaps()
        on_disk = b"".join(p.read_bytes() for p in mirror.root.rglob("*") if p.is_file())
        assert token.encode() not in on_disk  # the credentials travel in the environment only

    by_body = dict(zip(history.comments["body"], contexts["status"]))
    # written on the force-pushed-away commit, still on the head: read there, in full
    assert by_body["what is tmp for?"] == "ok" and by_body["name it better."] == "ok"
    assert by_body["why zero?"] == "ok"
    assert by_body["z?"] == "commit_gone"  # outdated and its commit gone: the diff hunk is its context
    assert contexts.loc[history.comments["body"] == "z?", "code"].item().strip()

    commented = chunks[(chunks["level"] == "chunk") & chunks["commented"]]
    assert sorted(map(tuple, commented[["pull_number", "path"]].values.tolist())) == [
        (1, "a.py"),
        (1, "b.py"),
        (2, "c.py"),
    ]
    assert "d.py" not in set(chunks["path"])  # its new version is gone: its hunk is left out, not #2
    pr2 = chunks[(chunks["pull_number"] == 2) & (chunks["level"] == "chunk")]
    assert len(pr2) == 2 and pr2["commented"].sum() == 1  # #2's silence survives the lost file
    assert mirror.left_out == [(2, "d.py")]
    assert gaps["commits gone"] == 2 and gaps["file versions gone"] == 1
    assert made["first_push"] in mirror.gone[COMMIT] and made["lost_blob"] in mirror.gone[FILE_VERSION]
    assert gaps["review passes without a diff"] == 1  # #3: its only reviewed commit is gone
    assert gaps["objects GitHub did not answer for"] == 0
    assert not [r for r in caplog.records if "could not fetch" in r.getMessage()]


def test_the_same_figures_public_and_private(tmp_path_factory, tmp_path):
    figures = []
    for private in (False, True):
        fixture, _ = _build(tmp_path_factory.mktemp("both"), private=private)
        with _collected(fixture, tmp_path / str(private)) as (history, mirror, _):
            contexts = extract_contexts(mirror, history.comments, history.pulls)
            chunks = reviewed_pull_chunks(mirror, history.reviewer_comments, history.default_branch, history.pulls)
            figures.append((sorted(contexts["status"]), len(chunks), int(chunks["commented"].sum()), mirror.gaps()))
    assert figures[0] == figures[1]


class _FlakyGit:
    """run_git that refuses batches holding `gone` by name, and answers 502 once to a large batch."""

    def __init__(self, gone: set[str]):
        self.gone, self.calls, self.failed_once = gone, [], False

    def __call__(self, args, cwd=None, *, input=None, env=None, **_):
        ids = input.decode().split()
        self.calls.append(len(ids))
        named = sorted(self.gone & set(ids))
        if named:
            raise mirror_module.GitError(
                f"git -c failed (128): fatal: remote error: upload-pack: not our ref {named[0]}"
            )
        if len(ids) > 4 and not self.failed_once:
            self.failed_once = True
            raise mirror_module.GitError("git -c failed (128): error: RPC failed; HTTP 502")
        return b""


def test_a_refused_batch_is_retried_without_what_it_names(monkeypatch, tmp_path):
    ids = [f"{i:040x}" for i in range(1, 11)]
    gone = {ids[2], ids[7]}
    flaky = _FlakyGit(gone)
    monkeypatch.setattr(mirror_module, "run_git", flaky)
    with RepoMirror(access=None, parent=tmp_path) as mirror:
        monkeypatch.setattr(mirror, "_env", lambda: {})
        fetched = mirror._fetch_ids(ids, FILE_VERSION)
    assert fetched == set(ids) - gone
    assert mirror.gone[FILE_VERSION] == gone and not mirror.unanswered[FILE_VERSION]
    assert len(flaky.calls) <= 6


def test_github_not_answering_gives_up_and_says_so(monkeypatch, tmp_path, caplog):
    def down(*_, **__):
        raise mirror_module.GitError("git -c failed (128): error: RPC failed; HTTP 502")

    monkeypatch.setattr(mirror_module, "run_git", down)
    with RepoMirror(access=None, parent=tmp_path) as mirror:
        monkeypatch.setattr(mirror, "_env", lambda: {})
        ids = [f"{i:040x}" for i in range(1, 100)]
        assert mirror._fetch_ids(ids, FILE_VERSION) == set()
        assert mirror.unanswered[FILE_VERSION] == set(ids)
        assert mirror.refused_fetches == RepoMirror.GIVE_UP_AFTER
    assert any("did not answer" in r.getMessage() for r in caplog.records)
