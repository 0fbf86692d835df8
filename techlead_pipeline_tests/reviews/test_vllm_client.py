"""The vLLM backend against a recorded OpenAI-compatible exchange: request shapes, run-time adapter
loading (and unloading of the partition's stale version), bounded concurrency, and outages."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import httpx
import pytest

from techlead_pipeline.adapters.store import AdapterStore
from techlead_pipeline.common.partitions import reviewer_repo
from techlead_pipeline.diffs.patch import parse_diff
from techlead_pipeline.reviews.backends.base import BackendUnavailableError
from techlead_pipeline.reviews.backends.vllm import VllmBackend, VllmClient, lora_name
from techlead_pipeline.reviews.hunks import prepare

RECORDING = json.loads((Path(__file__).parent / "recordings" / "vllm_exchange.json").read_text())
TARGET = reviewer_repo("mira-kovacs", "acme-labs/billing_core.py")
DIFF = "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n" + "".join(
    f"@@ -{10 * i + 1},1 +{10 * i + 1},2 @@\n ctx{i}\n+print('DEBUG', v{i})\n" for i in range(6)
)


class Replay:
    """Serves the recorded responses and records what the client sent."""

    def __init__(self, delay: float = 0.02, reply: str = "leftover debug `print` — use `logger.debug`.", silence=None):
        self.silence = silence  # P(NO_COMMENT) the first token's top_logprobs give (None: as recorded, 0.30)
        self.sent: list[tuple[str, str, dict | None]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.delay = delay
        self.reply = reply

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.sent.append((request.method, request.url.path, body))
        recorded = next(
            i["response"]
            for i in RECORDING["interactions"]
            if i["request"]["method"] == request.method
            and i["request"]["path"] == request.url.path
            and i["request"].get("logprobs", False) == bool((body or {}).get("logprobs"))
        )
        if request.url.path == "/v1/chat/completions":
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            await asyncio.sleep(self.delay)
            self.in_flight -= 1
            payload = json.loads(
                json.dumps(recorded["json"]).replace("{model}", body["model"]).replace("{reply}", self.reply)
            )
            if body.get("logprobs") and self.silence is not None:
                first = payload["choices"][0]["logprobs"]["content"][0]
                for entry in first["top_logprobs"]:
                    if entry["token"] == "§":
                        entry["logprob"] = math.log(self.silence)
            return httpx.Response(recorded["status"], json=payload)
        if "json" in recorded:
            return httpx.Response(recorded["status"], json=recorded["json"])
        return httpx.Response(
            recorded["status"], text=recorded["text"].replace("{lora_name}", (body or {}).get("lora_name", ""))
        )


@pytest.fixture
def bundle(tmp_path):
    store = AdapterStore(tmp_path / "adapters")
    staging = store.staging(TARGET, "r1")
    (staging / "adapter_model.safetensors").write_bytes(b"x")
    (staging / "retrieval").mkdir()
    return store.commit(TARGET, staging, {"serving": "lora"}), tmp_path / "adapters"


def backend_for(bundle, replay, max_concurrency=3):
    b, root = bundle
    client = VllmClient("http://vllm.test:8000", max_concurrency=max_concurrency, transport=httpx.MockTransport(replay))
    return VllmBackend(TARGET, b, client, root, "/adapters")


def test_review_loads_the_adapter_and_sends_every_hunk_concurrently(bundle):
    replay = Replay()
    backend = backend_for(bundle, replay)
    hunks = prepare(parse_diff(DIFF), lambda p: None).hunks
    suggestions = backend.review(hunks)
    name = lora_name(TARGET, bundle[0])
    calls = [(m, p) for m, p, _ in replay.sent]
    assert calls[0] == ("GET", "/v1/models")
    unloads = [b for m, p, b in replay.sent if p == "/v1/unload_lora_adapter"]
    assert unloads == [{"lora_name": "mira-kovacs@acme-labs+billing_core.py:20250101T000000000000Z"}]  # stale only
    loads = [b for m, p, b in replay.sent if p == "/v1/load_lora_adapter"]
    assert loads == [{"lora_name": name, "lora_path": f"/adapters/{TARGET.key}/versions/{bundle[0].version}"}]
    chats = [b for m, p, b in replay.sent if p == "/v1/chat/completions"]
    assert len(chats) == len(hunks) == 6
    for body in chats:
        assert body["model"] == name and body["temperature"] == 0.0 and body["max_tokens"] == 64
        assert [m["role"] for m in body["messages"]] == ["system", "user"]
        assert body["messages"][1]["content"].startswith("File: a.py (Python)\nDiff:\n@@")
        assert ">>" in body["messages"][1]["content"]
    assert 1 < replay.max_in_flight <= 3
    assert all(s is not None and s.body.startswith("leftover debug") for s in suggestions)


def test_a_resident_adapter_is_not_loaded_again(bundle):
    replay = Replay()
    name = lora_name(TARGET, bundle[0])
    listing = RECORDING["interactions"][0]["response"]["json"]
    listing["data"].append({"id": name, "object": "model", "parent": "meta-llama/Meta-Llama-3-8B-Instruct"})
    try:
        backend_for(bundle, replay).review(prepare(parse_diff(DIFF), lambda p: None).hunks[:1])
    finally:
        listing["data"].pop()
    assert not [p for _, p, _ in replay.sent if p == "/v1/load_lora_adapter"]


def test_no_comment_answers_are_silence(bundle):
    suggestions = backend_for(bundle, Replay(reply="NO_COMMENT")).review(
        prepare(parse_diff(DIFF), lambda p: None).hunks
    )
    assert suggestions == [None] * 6


def test_unreachable_server_is_a_clear_error(bundle):
    def refuse(request):
        raise httpx.ConnectError("connection refused")

    b, root = bundle
    backend = VllmBackend(
        TARGET, b, VllmClient("http://vllm.test:8000", transport=httpx.MockTransport(refuse)), root, "/adapters"
    )
    with pytest.raises(BackendUnavailableError, match="unreachable"):
        backend.review(prepare(parse_diff(DIFF), lambda p: None).hunks)


def test_a_busy_server_is_tried_again_before_the_review_is_given_up(bundle):
    """A 503 or a dropped connection (vLLM busy or restarting) is retried, spaced; a server that
    stays down is still a clear error."""
    replay, failures = Replay(), {"left": 2}  # two tries of the first hunk fail; the third, and the rest, pass

    async def flaky(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/chat/completions" and failures["left"]:
            failures["left"] -= 1
            if failures["left"] == 1:
                raise httpx.ReadError("connection reset")
            return httpx.Response(503, json={"object": "error", "message": "busy", "code": 503})
        return await replay(request)

    b, root = bundle
    client = VllmClient(
        "http://vllm.test:8000", max_concurrency=1, transport=httpx.MockTransport(flaky), retry_backoff=0.01
    )
    suggestions = VllmBackend(TARGET, b, client, root, "/adapters").review(
        prepare(parse_diff(DIFF), lambda p: None).hunks
    )
    assert failures["left"] == 0 and all(s is not None for s in suggestions)
    failures["left"] = 10**6
    with pytest.raises(BackendUnavailableError, match="answered 503"):
        VllmBackend(TARGET, b, client, root, "/adapters").review(prepare(parse_diff(DIFF), lambda p: None).hunks)


def test_an_answer_cut_off_at_the_length_limit_is_named_not_posted(bundle):
    class Cut(Replay):
        async def __call__(self, request):
            response = await super().__call__(request)
            if request.url.path == "/v1/chat/completions":
                body = response.json()
                body["choices"][0]["finish_reason"] = "length"
                return httpx.Response(200, json=body)
            return response

    from techlead_pipeline.reviews.backends.base import Unreviewed

    suggestions = backend_for(bundle, Cut()).review(prepare(parse_diff(DIFF), lambda p: None).hunks)
    assert all(isinstance(s, Unreviewed) and "length limit" in s.reason for s in suggestions)


class Refusing(Replay):
    """vLLM refusing one prompt as too long for its context (its real 400 body)."""

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        if request.url.path == "/v1/chat/completions" and "v3" in body["messages"][1]["content"]:
            self.sent.append((request.method, request.url.path, body))
            return httpx.Response(
                400,
                json={
                    "object": "error",
                    "message": "This model's maximum context length is 8192 tokens. "
                    "However, you requested 9100 tokens.",
                    "type": "BadRequestError",
                    "param": None,
                    "code": 400,
                },
            )
        return await super().__call__(request)


def test_a_refused_hunk_is_named_never_taken_for_silence(bundle):
    from techlead_pipeline.reviews.backends.base import Unreviewed
    from techlead_pipeline.reviews.service import review_changes

    backend = backend_for(bundle, Refusing())
    drafts, prepared, _ = review_changes(parse_diff(DIFF), lambda p: None, backend)
    assert len(drafts) == 5
    [note] = prepared.skipped
    assert note.startswith("`a.py` lines 32–32: the model server refused it (400: This model's maximum context")
    assert isinstance(backend.review(prepare(parse_diff(DIFF), lambda p: None).hunks)[3], Unreviewed)


def test_prompts_are_cut_to_the_servers_context(bundle):
    long_diff = "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1,1 +1,40 @@\n ctx\n" + "".join(
        f"+value_{i} = compute({i}, rate, {'x' * 150})\n" for i in range(39)
    )
    replay = Replay()
    backend = backend_for(bundle, replay)
    backend.context_tokens = 1500  # bytes bound the tokens of a byte-level BPE
    backend.review(prepare(parse_diff(long_diff), lambda p: None).hunks)
    for body in [b for m, p, b in replay.sent if p == "/v1/chat/completions"]:
        size = sum(len(m["content"].encode()) + 8 for m in body["messages"])
        assert size + body["max_tokens"] <= 1500


class ScoringReplay(Replay):
    """Chat completions with vLLM's `prompt_logprobs` extension, in the shape of
    vllm/entrypoints/openai/protocol.py (ChatCompletionResponse.prompt_logprobs: one entry per prompt
    token, the first null, each {token id: {logprob, rank, decoded_token}}; usage.prompt_tokens).
    A stand-in tokenizer: a token per word of each message, 4 per message for the template, 3 for
    the generation prompt; token i of an answer has log-probability -(i + 1) / 10."""

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        if request.url.path != "/v1/chat/completions" or "add_generation_prompt" not in (body or {}):
            return await super().__call__(request)
        self.sent.append((request.method, request.url.path, body))
        messages = body["messages"]
        count = sum(len(m["content"].split()) + 4 for m in messages) + (3 if body["add_generation_prompt"] else 0)
        logprobs = [None]
        if body.get("prompt_logprobs") == 0:
            prefix = sum(len(m["content"].split()) + 4 for m in messages[:-1]) + 3
            for i in range(1, count):
                value = -((i - prefix) + 1) / 10 if i >= prefix else -5.0
                logprobs.append({str(1000 + i): {"logprob": value, "rank": 1, "decoded_token": "w"}})
        usage = {"prompt_tokens": count, "total_tokens": count + 1, "completion_tokens": 1}
        choice = {"index": 0, "message": {"role": "assistant", "content": "x"}, "finish_reason": "length"}
        return httpx.Response(
            200,
            json={
                "id": "c",
                "object": "chat.completion",
                "created": 1,
                "model": body["model"],
                "choices": [choice],
                "usage": usage,
                "prompt_logprobs": logprobs if body.get("prompt_logprobs") == 0 else None,
            },
        )


def test_answers_are_scored_from_the_servers_prompt_logprobs(bundle):
    """The rerank backend through vLLM: the conversation alone gives where the answer starts, the
    conversation with the answer its tokens' log-probabilities (answer and closing tokens)."""
    replay = ScoringReplay()
    backend = backend_for(bundle, replay)
    conversation = [{"role": "system", "content": "s"}, {"role": "user", "content": "the code here"}]
    short, longer = backend.answer_likelihoods([(conversation, "nit: is None"), (conversation, "a b c d e")])
    # answer tokens: its words + the 1 template token left after the 3 of the generation prompt
    assert short == pytest.approx(sum(-(i + 1) / 10 for i in range(4)) / 4)
    assert longer == pytest.approx(sum(-(i + 1) / 10 for i in range(6)) / 6)
    scored = [b for m, p, b in replay.sent if p == "/v1/chat/completions"]
    assert {(b["add_generation_prompt"], b["prompt_logprobs"]) for b in scored} == {(True, None), (False, 0)}
    assert all(b["model"] == lora_name(TARGET, bundle[0]) and b["max_tokens"] == 1 for b in scored)
    assert sum(1 for b in scored if b["add_generation_prompt"]) == 1  # the conversation asked once


def test_where_to_speak_is_decided_from_the_first_tokens_logprobs_before_anything_is_written(bundle):
    """With the threshold the gate placed, each hunk is first asked one token with its top_logprobs;
    only where P(NO_COMMENT) is below the threshold is a comment written."""
    hunks = prepare(parse_diff(DIFF), lambda p: None).hunks
    for silence, threshold, spoken in ((0.30, 0.5, 6), (0.70, 0.5, 0)):
        replay = Replay(silence=silence)
        backend = backend_for(bundle, replay)
        backend.silence_threshold = threshold
        suggestions = backend.review(hunks)
        asked = [b for _, p, b in replay.sent if p == "/v1/chat/completions"]
        measured = [b for b in asked if b.get("logprobs")]
        assert len(measured) == 6 and all(b["max_tokens"] == 1 and b["top_logprobs"] == 20 for b in measured)
        assert len(asked) - len(measured) == spoken  # written only where it speaks
        assert sum(s is not None for s in suggestions) == spoken
        if spoken:
            assert [s.score for s in suggestions] == [pytest.approx(1 - silence, abs=1e-3)] * 6


def test_a_hunk_whose_silence_cannot_be_read_is_named_not_taken_for_silence(bundle):
    from techlead_pipeline.reviews.backends.base import Unreviewed

    replay = Replay()

    async def no_logprobs(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        if request.url.path == "/v1/chat/completions" and body.get("logprobs"):
            return httpx.Response(400, json={"object": "error", "message": "logprobs are not enabled", "code": 400})
        return await replay(request)

    backend = backend_for(bundle, no_logprobs)
    backend.silence_threshold = 0.5
    suggestions = backend.review(prepare(parse_diff(DIFF), lambda p: None).hunks)
    assert all(isinstance(s, Unreviewed) and "did not say" in s.reason for s in suggestions)
