"""`vllm`: production serving. An OpenAI-compatible client for a vLLM server started with
`--enable-lora` (many LoRA adapters on one GPU). Each (reviewer, repo) version is a LoRA module
named `<partition>:<version>`, loaded at run time when it is not resident
(`POST /v1/load_lora_adapter`); other versions of the same partition are unloaded, so a
force-reload never serves a stale adapter. All hunks of a PR are sent concurrently, bounded.

Where to speak is decided as in-process (reviews/backends/generative.py): the probability that the
answer starts with NO_COMMENT, read from the first token's `top_logprobs` of a one-token completion,
against the threshold the gate placed on the validation split; only then is anything written.
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import httpx

from ...adapters.store import AdapterBundle
from ...common.partitions import ReviewerRepo
from ...github_api.token_vault import Secret
from ...training_data.prompts import NO_COMMENT
from .base import CUT_OFF, BackendUnavailableError, Unreviewed
from .generative import GenerativeBackend
from .retrieval import RetrievalBackend

TOP_LOGPROBS = 20  # the first token's likeliest continuations read (the OpenAI API allows up to 20)


def lora_name(target: ReviewerRepo, bundle: AdapterBundle) -> str:
    return f"{target.key}:{bundle.version}"


class VllmClient:
    def __init__(
        self,
        base_url: str,
        api_key: Secret | None = None,
        timeout: float = 60.0,
        max_concurrency: int = 8,
        transport: httpx.AsyncBaseTransport | None = None,
        retries: int = 2,
        retry_backoff: float = 1.0,
    ):
        self.retries = retries
        self.retry_backoff = retry_backoff
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.max_concurrency = max_concurrency
        self.transport = transport

    def _client(self) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.api_key.reveal()}"} if self.api_key else {}
        return httpx.AsyncClient(
            base_url=self.base_url, headers=headers, timeout=self.timeout, transport=self.transport
        )

    async def _call(self, client: httpx.AsyncClient, method: str, path: str, **kwargs) -> httpx.Response:
        """One request; a dropped connection or a 5xx (a server busy or restarting) is tried again
        `retries` times, spaced, before the review is given up: one hunk's hiccup must not cost a PR."""
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.retry_backoff * 2 ** (attempt - 1))
            try:
                response = await client.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                failure = f"the review model server at {self.base_url} is unreachable ({type(exc).__name__})"
                continue
            if response.status_code < 500:
                return response
            failure = f"the review model server answered {response.status_code}"
        raise BackendUnavailableError(failure)

    async def _ensure_adapter(self, client: httpx.AsyncClient, name: str, path: str, partition: str) -> None:
        listing = (await self._call(client, "GET", "/v1/models")).json()
        resident = {m["id"] for m in listing.get("data", [])}
        for stale in sorted(n for n in resident if n.startswith(partition + ":") and n != name):
            await self._call(client, "POST", "/v1/unload_lora_adapter", json={"lora_name": stale})
        if name not in resident:
            r = await self._call(client, "POST", "/v1/load_lora_adapter", json={"lora_name": name, "lora_path": path})
            if r.status_code == 400 and "already been loaded" in r.text:
                return  # another review loaded it first
            if r.status_code >= 400:
                raise BackendUnavailableError(f"the model server refused to load the adapter ({r.status_code})")

    async def _completion(
        self, client: httpx.AsyncClient, gate: asyncio.Semaphore, model: str, conversation: list[dict], **options
    ) -> httpx.Response:
        """One greedy chat completion of `conversation` under adapter `model`, at most `gate` at a time."""
        async with gate:
            return await self._call(
                client,
                "POST",
                "/v1/chat/completions",
                json={"model": model, "messages": conversation, "temperature": 0.0, **options},
            )

    async def _chat(
        self, client: httpx.AsyncClient, gate: asyncio.Semaphore, model: str, conversation: list[dict], max_tokens: int
    ) -> str | Unreviewed:
        r = await self._completion(client, gate, model, conversation, max_tokens=max_tokens, n=1, stop=["\n"])
        if r.status_code >= 400:  # e.g. 400: longer than the server's context; named, not taken for silence
            return Unreviewed(f"the model server refused it ({r.status_code}: {_message(r)})")
        try:
            choice = r.json()["choices"][0]
        except (ValueError, KeyError, IndexError, TypeError):
            return Unreviewed("the model server's answer could not be read")
        if choice.get("finish_reason") == "length":  # cut off mid-sentence: not a comment to post
            return Unreviewed(CUT_OFF)
        return (choice.get("message") or {}).get("content") or ""

    async def _first_token(
        self, client: httpx.AsyncClient, gate: asyncio.Semaphore, model: str, conversation: list[dict]
    ) -> float | None:
        """P(the answer starts with NO_COMMENT): the summed probability of the first token's likeliest
        continuations that begin it (a tokenizer may split it). None: the server refused or its answer
        could not be read (the hunk is then named as not reviewed, never taken for silence)."""
        r = await self._completion(
            client, gate, model, conversation, max_tokens=1, logprobs=True, top_logprobs=TOP_LOGPROBS
        )
        if r.status_code >= 400:
            return None
        try:
            first = r.json()["choices"][0]["logprobs"]["content"][0]
            listed = first.get("top_logprobs") or [first]
            return min(1.0, sum(math.exp(float(t["logprob"])) for t in listed if _starts_silence(t["token"])))
        except (ValueError, KeyError, IndexError, TypeError):
            return None

    async def _silences(self, name: str, path: str, partition: str, conversations: list[list[dict]]):
        gate = asyncio.Semaphore(self.max_concurrency)
        async with self._client() as client:
            await self._ensure_adapter(client, name, path, partition)
            return await asyncio.gather(*(self._first_token(client, gate, name, c) for c in conversations))

    def silence_with_adapter(
        self, name: str, path: str, partition: str, conversations: list[list[dict]]
    ) -> list[float | None]:
        return asyncio.run(self._silences(name, path, partition, conversations))

    async def _review(
        self, name: str, path: str, partition: str, conversations: list[list[dict]], max_tokens: int
    ) -> list[str]:
        gate = asyncio.Semaphore(self.max_concurrency)
        async with self._client() as client:
            await self._ensure_adapter(client, name, path, partition)
            return await asyncio.gather(*(self._chat(client, gate, name, c, max_tokens) for c in conversations))

    async def _prompt_tokens(
        self, client: httpx.AsyncClient, gate: asyncio.Semaphore, model: str, messages: list[dict], answered: bool
    ) -> tuple[int, list[float]] | None:
        """The prompt's token count and each prompt token's log-probability (vLLM's `prompt_logprobs`
        extension). `answered`: the conversation ends with an assistant turn, closed by the template."""
        async with gate:
            r = await self._call(
                client,
                "POST",
                "/v1/chat/completions",
                json={
                    "model": model,
                    "messages": messages,
                    "max_tokens": 1,
                    "temperature": 0.0,
                    "add_generation_prompt": not answered,
                    "continue_final_message": False,
                    "prompt_logprobs": 0 if answered else None,
                },
            )
        if r.status_code >= 400:
            return None
        try:
            body = r.json()
            count = int(body["usage"]["prompt_tokens"])
            # With `prompt_logprobs: 0` each position holds exactly the prompt's own token (the first none).
            logprobs = [
                float(next(iter(entry.values()))["logprob"]) if entry else 0.0
                for entry in (body.get("prompt_logprobs") or [])
            ]
        except (ValueError, KeyError, TypeError):
            return None
        return count, logprobs

    async def _score(self, name: str, path: str, partition: str, pairs: list[tuple[list[dict], str]]) -> list[float]:
        gate = asyncio.Semaphore(self.max_concurrency)
        async with self._client() as client:
            await self._ensure_adapter(client, name, path, partition)
            prefixes = {repr(c): c for c, _ in pairs}
            asked = await asyncio.gather(
                *(self._prompt_tokens(client, gate, name, c, False) for c in prefixes.values()),
                *(
                    self._prompt_tokens(client, gate, name, [*c, {"role": "assistant", "content": a}], True)
                    for c, a in pairs
                ),
            )
        starts = dict(zip(prefixes, asked[: len(prefixes)]))
        out = []
        for (conversation, _), full in zip(pairs, asked[len(prefixes) :]):
            start = starts[repr(conversation)]
            if start is None or full is None or len(full[1]) < full[0] or full[0] <= start[0]:
                out.append(float("-inf"))  # unreadable: never chosen over the model's own words
                continue
            answer = full[1][start[0] : full[0]]  # the answer's tokens and the one that closes the turn
            out.append(sum(answer) / len(answer))
        return out

    def score_with_adapter(
        self, name: str, path: str, partition: str, pairs: list[tuple[list[dict], str]]
    ) -> list[float]:
        """The length-normalised log-likelihood of each (conversation, answer) under the adapter."""
        return asyncio.run(self._score(name, path, partition, pairs))

    def review_with_adapter(
        self, name: str, path: str, partition: str, conversations: list[list[dict]], max_tokens: int = 64
    ) -> list[str | Unreviewed]:
        return asyncio.run(self._review(name, path, partition, conversations, max_tokens))


class VllmBackend(GenerativeBackend):
    name = "vllm"

    def __init__(
        self,
        target: ReviewerRepo,
        bundle: AdapterBundle,
        client: VllmClient,
        adapters_root: Path,
        server_adapters_root: str,
        focus_picker: RetrievalBackend | None = None,
        context_tokens: int = 8192,  # vLLM's --max-model-len for Llama 3 8B (deploy/k8s/vllm.yaml)
    ):
        super().__init__(target.reviewer, target.repo, focus_picker)
        self.context_tokens = context_tokens
        self.max_tokens = 64
        self.target = target
        self.bundle = bundle
        self.client = client
        # The server mounts the same adapter volume, possibly at another path.
        relative = bundle.path.resolve().relative_to(adapters_root.resolve())
        self.server_path = f"{server_adapters_root.rstrip('/')}/{relative.as_posix()}"

    def fits(self, conversation: list[dict]) -> bool:
        """No tokenizer here: UTF-8 bytes bound the tokens of a byte-level BPE (every token is at least
        one byte), plus the chat template's few tokens per message and the answer's allowance."""
        size = sum(len(m["content"].encode()) + 8 for m in conversation)
        return size + self.max_tokens <= self.context_tokens

    def answer_likelihoods(self, pairs: list[tuple[list[dict], str]]) -> list[float]:
        return self.client.score_with_adapter(
            lora_name(self.target, self.bundle), self.server_path, self.target.key, pairs
        )

    def silence_probability(self, conversations: list[list[dict]]) -> list[float | None]:
        return self.client.silence_with_adapter(
            lora_name(self.target, self.bundle), self.server_path, self.target.key, conversations
        )

    def generate(self, conversations: list[list[dict]], speak: bool = False) -> list[str | Unreviewed]:
        return self.client.review_with_adapter(
            lora_name(self.target, self.bundle), self.server_path, self.target.key, conversations, self.max_tokens
        )


def _starts_silence(token: str) -> bool:
    """Whether a token (as vLLM prints it) is NO_COMMENT or the start of it."""
    text = (token or "").strip()
    return bool(text) and (NO_COMMENT.startswith(text) or text.startswith(NO_COMMENT))


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("message") or response.json().get("error", {}).get("message", ""))[:120]
    except ValueError:
        return response.text[:120]
