"""The webhook receiver on real deliveries (octokit's examples, which GitHub's own docs use): signatures
by GitHub's published test vector, every event we handle, idempotency by delivery id, GitHub's limits."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from techlead_pipeline.github_standin.contract import schema as contract
from techlead_pipeline.webhooks.events import record_for
from techlead_pipeline.webhooks.service import MAX_PAYLOAD_BYTES, create_app
from techlead_pipeline.webhooks.signature import sign, verify
from techlead_pipeline.webhooks.store import DeliveryStore

EXAMPLES = json.loads((Path(__file__).parent / "examples" / "api.github.com.json").read_text())
SECRET = "webhook-test-secret"


def test_githubs_published_signature_vector():
    secret, payload = "It's a Secret to Everybody", b"Hello, World!"
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert sign(secret, payload) == expected and verify(secret, payload, expected)
    assert not verify("It's a secret to everybody", payload, expected)  # the wrong secret
    assert not verify(secret, payload, None) and not verify(secret, payload, "")  # a missing header
    assert not verify(secret, b"Hello, World?", expected)  # the body changed by one byte
    assert not verify(secret, payload, expected.replace("sha256=", "sha1="))


@pytest.fixture
def service(instance):
    store = DeliveryStore(instance)
    with TestClient(create_app(lambda: SECRET, lambda: store)) as client:
        yield client, store


def deliver(client, event: str, payload, delivery: str, secret: str = SECRET, raw: bytes | None = None):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "Content-Type": "application/json"}
    if secret is not None:
        headers["X-Hub-Signature-256"] = sign(secret, body)
    return client.post("/webhook", content=body, headers=headers)


def as_pull_request(example: dict) -> dict:
    """octokit's issue_comment examples are on plain issues; a PR's issue carries `pull_request`, as on GitHub."""
    payload = copy.deepcopy(example)
    issue = payload["issue"]
    issue["pull_request"] = {"url": issue["url"].replace("/issues/", "/pulls/"), "html_url": issue["html_url"]}
    return payload


CASES = [(event, i) for event, examples in EXAMPLES.items() for i in range(len(examples))]


@pytest.mark.parametrize("event,index", CASES, ids=[f"{e}-{i}" for e, i in CASES])
def test_every_real_example_is_stored_and_understood(service, event, index):
    client, store = service
    example = EXAMPLES[event][index]
    r = deliver(client, event, example, f"guid-{event}-{index}")
    assert r.status_code == 202, r.text
    [stored] = store.after(0)
    record = stored.record
    action = example.get("action")
    if event == "ping":
        assert record.kind == "ping"
    elif event in ("issue_comment", "pull_request_review_comment", "pull_request_review"):
        handled = {"created", "edited", "submitted"}
        assert record.kind == ("comment" if action in handled else "ignored")
        if record.kind == "comment":
            assert record.comment["id"] and record.repo == example["repository"]["full_name"]
            assert "diff_hunk" not in json.dumps(record.as_dict())  # no source code is kept
            if event != "issue_comment":
                assert record.issue["pull_request"] is True
    else:
        assert record.kind in ("installation", "ignored")


def test_issue_comment_on_a_pull_request_versus_on_an_issue():
    example = next(e for e in EXAMPLES["issue_comment"] if e["action"] == "created")
    assert record_for("issue_comment", example).issue["pull_request"] is False
    assert record_for("issue_comment", as_pull_request(example)).issue["pull_request"] is True
    edited = next(e for e in EXAMPLES["issue_comment"] if e["action"] == "edited")
    assert record_for("issue_comment", edited).previous_body == edited["changes"]["body"]["from"]


def test_installation_events_say_which_repositories_came_and_went():
    added = next(e for e in EXAMPLES["installation_repositories"] if e["action"] == "added")
    record = record_for("installation_repositories", added)
    assert record.repos_added == [r["full_name"] for r in added["repositories_added"]]
    assert record.installation_id == added["installation"]["id"]
    deleted = next(e for e in EXAMPLES["installation"] if e["action"] == "deleted")
    assert record_for("installation", deleted).repos_removed


def test_real_deliveries_leave_out_what_githubs_schema_requires_and_are_still_read():
    """Two descriptions nobody here wrote disagree: octokit's recorded deliveries omit fields GitHub's own
    schema marks required (a review comment's `line`, a repository's `topics`) and send epoch integers
    where it says date-time strings. So the receiver reads only what it needs, with `.get`."""
    disagreements = []
    for event, examples in EXAMPLES.items():
        for example in examples:
            name = f"{event.replace('_', '-')}-{example['action']}" if example.get("action") else event
            if name in contract.document()["x-webhooks"]:
                disagreements += contract.webhook_errors(name, example)
    assert any("'line' is a required property" in d for d in disagreements)
    assert any("is not of type 'string'" in d for d in disagreements)
    for event in ("issue_comment", "pull_request_review_comment", "pull_request_review"):
        for example in EXAMPLES[event]:
            key = "review" if event == "pull_request_review" else "comment"
            bare = copy.deepcopy(example)
            keep = {"id", "body", "user", "html_url", "issue_url", "pull_request_url", "created_at"}
            bare[key] = {k: v for k, v in bare[key].items() if k in keep}
            record = record_for(event, bare)
            assert record.kind in ("comment", "ignored") and (record.kind == "ignored" or record.comment["id"])


def test_a_delivery_is_stored_once_whatever_is_sent_again(service):
    client, store = service
    example = as_pull_request(EXAMPLES["issue_comment"][0])
    assert deliver(client, "issue_comment", example, "same-guid").status_code == 202
    again = deliver(client, "issue_comment", example, "same-guid")
    assert again.status_code == 200 and again.json()["stored"] is False
    assert store.count() == 1


@pytest.mark.parametrize("how", ["unsigned", "wrong secret", "changed body"])
def test_bad_signatures_are_401_and_store_nothing(service, how):
    client, store = service
    body = json.dumps(EXAMPLES["ping"][0]).encode()
    headers = {"X-GitHub-Event": "ping", "X-GitHub-Delivery": "g-1"}
    if how == "wrong secret":
        headers["X-Hub-Signature-256"] = sign("not-the-secret", body)
    elif how == "changed body":
        headers["X-Hub-Signature-256"] = sign(SECRET, body)
        body = body[:-2] + b" }"
    r = client.post("/webhook", content=body, headers=headers)
    assert r.status_code == 401 and store.count() == 0


def test_malformed_json_is_400_and_oversized_is_413(service):
    client, store = service
    assert deliver(client, "ping", None, "g-2", raw=b"{not json").status_code == 400
    huge = b'{"zen": "' + b"x" * MAX_PAYLOAD_BYTES + b'"}'
    assert deliver(client, "ping", None, "g-3", raw=huge).status_code == 413
    assert store.count() == 0


def test_healthz(service):
    client, _ = service
    assert client.get("/healthz").json() == {"ok": True, "deliveries": 0}


def test_a_form_encoded_delivery_is_read_like_json(service):
    """Repository and organization hooks may be set to `application/x-www-form-urlencoded`: the JSON
    comes as the form field `payload`, signed as sent."""
    from urllib.parse import urlencode

    client, store = service
    example = as_pull_request(EXAMPLES["issue_comment"][0])
    body = urlencode({"payload": json.dumps(example)}).encode()
    headers = {
        "X-GitHub-Event": "issue_comment",
        "X-GitHub-Delivery": "form-1",
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Hub-Signature-256": sign(SECRET, body),
    }
    assert client.post("/webhook", content=body, headers=headers).status_code == 202
    [stored] = store.after(0)
    assert stored.record.comment["id"] == example["comment"]["id"]
    headers["X-Hub-Signature-256"] = sign(SECRET, body + b"&x=1")
    assert client.post("/webhook", content=body, headers=headers).status_code == 401
    headers.update({"X-Hub-Signature-256": sign(SECRET, b"a=1"), "X-GitHub-Delivery": "form-2"})
    assert client.post("/webhook", content=b"a=1", headers=headers).status_code == 400
