"""Pull requests with nothing to review in them: symbolic links (which `/files` shows as one-line
text files), and closed, merged or empty pull requests, which get a short reply instead of a review."""

from __future__ import annotations

from pathlib import Path

import pytest

from techlead_pipeline.adapters.store import AdapterBundle
from techlead_pipeline.common.partitions import reviewer_repo
from techlead_pipeline.common.settings import Settings
from techlead_pipeline.github_api.client import GitHubAccess, GitHubCredentials
from techlead_pipeline.github_api.token_vault import Secret
from techlead_pipeline.github_standin import GitHubStandin
from techlead_pipeline.reviews.backends.retrieval import RetrievalBackend
from techlead_pipeline.reviews.backends.retrieval_index import RetrievalIndex
from techlead_pipeline.reviews.pull_request import load_pull_request
from techlead_pipeline.reviews.service import review_pull_request
from techlead_pipeline_tests.mini_fixture import BOT, LEAD, MiniRepo

CODE = "def total(xs):\n    return sum(xs)\n"


@pytest.fixture(scope="module")
def odd_fixture(tmp_path_factory):
    repo = MiniRepo(tmp_path_factory.mktemp("odd"))
    repo.commit("main", {"lib/total.py": CODE, "docs/old.md": "old\n"}, "base", links={"lib/gone": "total.py"})
    repo.commit(
        "links",
        {"lib/real.py": "def f(x):\n    return x == None\n"},
        "links and a real change",
        start="main",
        links={"lib/alias.py": "total.py", "lib/outside": "../../etc/passwd", "lib/gone": "real.py"},
    )
    repo.pull(1, head="links", base="main")
    repo.commit("empty", {}, "nothing", start="main")
    repo.pull(2, head="empty", base="main")
    repo.commit("done", {"lib/more.py": "X = 1\n"}, "merged one", start="main")
    repo.pull(3, head="done", base="main", state="closed", merged_at="2025-01-03T00:00:00Z")
    repo.commit("dropped", {"lib/more2.py": "Y = 1\n"}, "closed one", start="main")
    repo.pull(4, head="dropped", base="main", state="closed", closed_at="2025-01-03T00:00:00Z")
    # 3,010 generated files removed (a removal needs no file contents to review: the test stays fast).
    generated = [f"gen/m{i:04}.py" for i in range(3010)]
    repo.commit("with-generated", {p: f"V = {i}\n" for i, p in enumerate(generated)}, "generate", start="main")
    repo.commit("huge", dict.fromkeys(generated), "drop the generated files", start="with-generated")
    repo.pull(5, head="huge", base="with-generated")
    return repo.write()


@pytest.fixture
def odd(odd_fixture, tmp_path, request):
    # The 3,000-file listing is checked against GitHub's schema once, not on every run (it is slow).
    with GitHubStandin(odd_fixture, validate_contract=not request.node.get_closest_marker("unvalidated")) as server:
        settings = Settings(
            github_api_url=server.api_url, github_web_url=server.url, home=tmp_path / "home", seconds_between_writes=0
        )
        yield server, GitHubAccess(settings, GitHubCredentials(token=Secret(server.token_for(BOT))), "octo/widgets")
        assert not server.contract_violations, server.contract_violations[:5]


def test_the_stand_in_answers_for_links_as_githubs_own_description_says():
    """What the detection relies on is GitHub's text, not ours (its OpenAPI description, vendored)."""
    from techlead_pipeline.github_standin.contract.schema import document

    described = document()["paths"]["/repos/{owner}/{repo}/contents/{path}"]["get"]["description"]
    assert (
        "If the content is a symlink and the symlink's target is a normal file in the repository, then the API "
        "responds with the content of the file. Otherwise, the API responds with an object describing the "
        "symlink itself." in described
    )


def test_symbolic_links_are_not_reviewed_as_code(odd):
    _, access = odd
    pull = load_pull_request(access, "octo/widgets", 1)
    why = {c.path: c.skipped for c in pull.changes}
    # A link to a file of the repository (GitHub answers with that file), one pointing outside it
    # (GitHub answers with the link), and a link whose target changed: none is code.
    assert why == {"lib/alias.py": "symbolic link", "lib/gone": "symbolic link", "lib/outside": "symbolic link",
                   "lib/real.py": None}  # fmt: skip
    assert pull.new_file_text("lib/real.py").startswith("def f(x)")


def _retrieval() -> RetrievalBackend:
    index = RetrievalIndex.build(["    return x == None"], [{"response": "`is None`, please.", "pull_number": 9}])
    return RetrievalBackend(index)


@pytest.mark.parametrize(
    "number,said",
    [(2, "changes no files yet"), (3, "is already merged"), (4, "is closed: reopen it")],
)
def test_empty_merged_and_closed_pull_requests_get_a_short_reply(odd, number, said):
    server, access = odd
    target = reviewer_repo(LEAD, "octo/widgets")
    outcome = review_pull_request(access, target, number, _retrieval(), bundle=None, mention_id="55")
    assert outcome.declined and said in outcome.declined and outcome.comments == []
    assert server.posted_reviews() == []
    [reply] = server.posted_issue_comments()
    assert said in reply["comment"]["body"] and "mention=55 kind=reply" in reply["comment"]["body"]
    review_pull_request(access, target, number, _retrieval(), bundle=None, mention_id="55")  # asked again
    assert len(server.posted_issue_comments()) == 1


@pytest.mark.unvalidated
def test_files_past_githubs_3000_file_listing_are_counted_in_the_summary(odd):
    _, access = odd
    target = reviewer_repo(LEAD, "octo/widgets")
    bundle = AdapterBundle(Path("unused"), {"version": "v1"})
    outcome = review_pull_request(access, target, 5, _retrieval(), bundle, mention_id="56", post=False)
    assert outcome.skipped[0] == "10 more files: GitHub lists only the first 3,000 of a pull request"
    assert "10 more files" in outcome.summary
