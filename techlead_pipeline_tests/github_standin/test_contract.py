"""The stand-in against GitHub's own OpenAPI description (npm `@octokit/openapi`, vendored subset), and
our parsers against GitHub's own example answers: the checks nobody on this project wrote the
expectations of."""

from __future__ import annotations

import pytest

from techlead_pipeline.diffs.patch import parse_pull_files
from techlead_pipeline.github_standin import GitHubStandin
from techlead_pipeline.github_standin.contract import schema
from techlead_pipeline.github_standin.contract.operations import OPERATIONS, WEBHOOKS
from techlead_pipeline.history.comments import _row, comments_frame
from techlead_pipeline.mentions.decide import pull_number_of
from techlead_pipeline.reviews.service import make_backend, review_pull_request
from techlead_pipeline.training_data.from_github import examples_from_github
from techlead_pipeline_tests.conftest import SAMPLE_REPO


def example(name: str):
    return schema.document()["components"]["examples"][name]["value"]


def test_the_vendored_subset_holds_every_operation_and_webhook_we_use():
    for method, template in OPERATIONS:
        op = schema.operation_for(method, template.replace("{", "").replace("}", ""))
        assert op is not None and (op.method, op.template) == (method, template)
    assert set(WEBHOOKS) <= set(schema.document()["x-webhooks"])
    licence = (schema.SUBSET.parent / "LICENSE-octokit-openapi").read_text()
    assert "MIT License" in licence and "Octokit contributors" in licence


def test_every_route_of_the_stand_in_is_a_documented_operation(sample_fixture):
    standin = GitHubStandin(sample_fixture)
    documented = {(op.method, op.template) for op in schema.operations()}
    assert set(standin.handlers) <= documented


def test_optional_nulls_are_left_out_and_required_fields_kept():
    pointer = "/components/schemas/pull-request-review-comment"
    shaped = schema.github_shaped(
        pointer, {"id": 1, "in_reply_to_id": None, "line": None, "pull_request_review_id": None}
    )
    assert "in_reply_to_id" not in shaped and "line" not in shaped
    assert shaped["pull_request_review_id"] is None  # required, nullable: GitHub sends the null


def test_githubs_example_review_comments_are_read_without_losing_fields():
    rows = [_row(c) for c in example("pull-request-review-comment-items")]
    frame = comments_frame(rows)
    assert len(frame) >= 1 and frame["pull_number"].iloc[0] == 1 and frame["path"].iloc[0]
    stripped = {k: v for k, v in example("pull-request-review-comment-items")[0].items() if k in _REQUIRED_COMMENT}
    assert _row(stripped)["in_reply_to_id"] is None and _row(stripped)["subject_type"] == "line"


_REQUIRED_COMMENT = set(schema.document()["components"]["schemas"]["pull-request-review-comment"]["required"])


def test_githubs_example_files_and_issue_comment_are_understood():
    changes = parse_pull_files(example("diff-entry-items"))
    assert changes and all(c.path for c in changes)
    comment = example("issue-comment")
    assert pull_number_of(comment) is None or pull_number_of(comment) == int(comment["issue_url"].rsplit("/", 1)[-1])


def test_the_project_calls_only_documented_operations_and_every_answer_conforms(
    standin, settings, bot_access, lead_target, served, tmp_path
):
    """Collect, read the code, review and post, reply: every request the project makes, counted and
    checked by the stand-in (the `standin` fixture fails on any answer that does not conform)."""
    examples_from_github(bot_access, lead_target, settings, tmp_path)
    backend = make_backend("retrieval", lead_target, served, settings.adapters_dir)
    review_pull_request(bot_access, lead_target, 51, backend, served, mention_id="contract")
    from techlead_pipeline.reviews.replies import post_reply

    post_reply(bot_access, SAMPLE_REPO, 51, "hello", mention_id="contract", kind="refusal")
    calls = standin.api_calls()
    assert calls and all(c["operation"] for c in calls), [c for c in calls if not c["operation"]]
    used = {(c["method"], c["operation"]) for c in calls}
    assert used <= set(OPERATIONS)
    assert {
        ("GET", "/repos/{owner}/{repo}/pulls/comments"),
        ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files"),
        ("POST", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"),
        ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    } <= used


@pytest.mark.parametrize("status", [404, 422])
def test_error_answers_have_githubs_shape(standin, status):
    import requests

    auth = {"Authorization": f"token {standin.token_for('tech-lead-bot')}"}
    if status == 404:
        r = requests.get(f"{standin.api_url}/repos/{SAMPLE_REPO}/pulls/comments/1", headers=auth, timeout=10)
    else:
        r = requests.post(
            f"{standin.api_url}/repos/{SAMPLE_REPO}/pulls/51/reviews",
            json={"event": "COMMENT", "comments": [{"path": "nope.py", "line": 1, "body": "x"}]},
            headers=auth,
            timeout=10,
        )
        assert r.json()["errors"] == ["Pull request review thread path is invalid"]  # no index, as GitHub says it
    assert r.status_code == status and r.json()["status"] == str(status)


PAGED = [  # every list the project reads page by page, following `Link: rel="next"`
    "/repos/{owner}/{repo}/pulls/comments",
    "/repos/{owner}/{repo}/issues/comments",
    "/repos/{owner}/{repo}/pulls",
    "/repos/{owner}/{repo}/pulls/{pull_number}/files",
    "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
    "/repos/{owner}/{repo}/issues/{issue_number}/comments",
    "/app/installations",
    "/installation/repositories",
]


@pytest.mark.parametrize("template", PAGED)
def test_github_documents_a_link_header_on_every_list_we_page_through(template):
    """Paging follows the Link header, never page sizes: GitHub's own description says every list we
    read answers with one (and says nothing of short pages being the last)."""
    answer = schema.document()["paths"][template]["get"]["responses"]["200"]
    assert answer.get("headers", {}).get("Link") == {"$ref": "#/components/headers/link"}


def test_a_multi_line_comment_in_githubs_own_example_covers_its_whole_range():
    from techlead_pipeline.history.code_context import comment_lines

    comment = example("pull-request-review-comment-items")[0]
    assert (comment["start_line"], comment["line"]) == (1, 2)  # GitHub's example is a multi-line comment
    assert list(comment_lines(_row(comment))) == [1, 2]
