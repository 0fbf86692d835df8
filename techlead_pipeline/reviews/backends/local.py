"""`local`: the adapter's own files run in-process — Hugging Face transformers + peft on the base
model, greedy decoding with the KV cache, prompts batched across hunks (by length, so padding stays
small), bf16 on a GPU, and on a CPU bf16 autocast where the CPU has it. The model is loaded once per
process and (base, adapter) pair. Every prompt is fitted to the base model's context first; a hunk
whose prompt cannot fit is reported, never silently dropped.

What tests use with the tiny model, what the CPU demo serves with SmolLM2, and a single-GPU
fallback in production.
"""

from __future__ import annotations

import threading
from pathlib import Path

from ...adapters.base_model import BaseModel, quiet_transformers
from ...training_data.prompts import NO_COMMENT
from .base import CUT_OFF, Unreviewed
from .decoding import bf16_matrices, greedy, last_logits, padded_width, prefill, right_padded
from .generative import MEMO_LIMIT, GenerativeBackend
from .retrieval import RetrievalBackend

_LOADED: dict[tuple[str, str | None], tuple] = {}
_LOCK = threading.Lock()
# Greedy answers of the loaded model, by (conversation, speak, max new tokens): decoding is
# deterministic, and the evaluation asks the same conversation of several systems (lora, rerank).
_ANSWERS: dict[tuple[str, bool, int], "str | Unreviewed"] = {}
_SILENCE: dict[str, float] = {}  # P(NO_COMMENT) by conversation, likewise (one forward pass each)


def load_model(base: BaseModel, adapter_dir: Path | None):
    """(model, tokenizer, device) for `base` with the adapter at `adapter_dir` (None: the base alone),
    loaded once per process."""
    key = (str(base.model_dir.resolve()), str(adapter_dir.resolve()) if adapter_dir else None)
    with _LOCK:
        if key not in _LOADED:
            import torch
            from transformers import AutoModelForCausalLM

            from ...adapters.torchtune_trainer import cpu_has_bf16

            quiet_transformers()
            device = "cuda" if torch.cuda.is_available() else "cpu"
            dtype = torch.bfloat16 if device == "cuda" else torch.float32
            model = AutoModelForCausalLM.from_pretrained(base.model_dir, dtype=dtype).to(device)
            if adapter_dir is not None:
                from peft import PeftModel

                # Folded into the weights: serving never trains, and a merged model is ~30% faster.
                model = PeftModel.from_pretrained(model, adapter_dir).merge_and_unload()
            if device == "cpu" and cpu_has_bf16():
                bf16_matrices(model)
            _LOADED.clear()  # one model at a time: a CPU process has no memory to spare
            _ANSWERS.clear()
            _SILENCE.clear()
            _LOADED[key] = (model.eval(), base.tokenizer(), device)
        return _LOADED[key]


class LocalBackend(GenerativeBackend):
    name = "local"

    def __init__(
        self,
        reviewer: str,
        repo: str,
        base: BaseModel,
        adapter_dir: Path | None,
        focus_picker: RetrievalBackend | None = None,
        max_new_tokens: int = 40,
        batch_size: int = 8,
        write_batch_size: int = 32,
        examples: int = 0,
        prompt_tokens: int | None = None,
        prompt_style: str = "full",
    ):
        super().__init__(reviewer, repo, focus_picker, examples=examples, prompt_style=prompt_style)
        self.base = base
        self.adapter_dir = adapter_dir
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size  # prompts per forward pass (deciding, scoring): compute-bound
        # Prompts written side by side: each decoding step costs about as much for 32 as for 8 on a
        # CPU (greedy decoding of a small model is overhead-bound), so fewer, wider batches.
        self.write_batch_size = write_batch_size
        # The adapter learned from prompts of at most its training `max_seq_len`: it is asked with the same.
        self.prompt_tokens = prompt_tokens
        self.generated_tokens = 0
        self._ids: dict[str, list[int]] = {}  # conversation -> its prompt tokens
        self._system: dict[str, list[int]] = {}  # system messages -> their tokens (one per reviewer)

    def forget(self) -> None:
        super().forget()
        _ANSWERS.clear()
        _SILENCE.clear()

    def _load(self):
        return load_model(self.base, self.adapter_dir)

    @property
    def context_tokens(self) -> int:
        return min(self.base.context_tokens, self.prompt_tokens or self.base.context_tokens)

    def prompt_ids(self, conversation: list[dict]) -> list[int]:
        """The conversation's tokens up to where the answer starts (fitting a prompt asks this of each
        cut, and deciding, writing and scoring ask it again of the fitted one: kept)."""
        from torchtune.data import Message

        key = repr(conversation)
        if key not in self._ids:
            _, tokenizer, _ = self._load()
            msgs = [Message(m["role"], m["content"]) for m in conversation] + [Message("assistant", "")]
            if len(self._ids) > MEMO_LIMIT:
                self._ids.clear()
            self._ids[key], _ = tokenizer.tokenize_messages(msgs, add_end_tokens=False)
        return self._ids[key]

    def fits(self, conversation: list[dict]) -> bool:
        if self.prompt_tokens:  # the training budget holds the prompt and its answer
            return len(self.prompt_ids(conversation)) + self.max_new_tokens <= self.context_tokens
        return len(self.prompt_ids(conversation)) + self.max_new_tokens <= self.base.context_tokens

    def _autocast(self, device: str):
        import contextlib

        import torch

        from ...adapters.torchtune_trainer import cpu_has_bf16

        if device == "cpu" and cpu_has_bf16():
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def silence_probability(self, conversations: list[list[dict]]) -> list[float]:
        """P(the answer starts with NO_COMMENT) per conversation: one forward pass each, no generation.
        The speak-or-not decision is this against a threshold calibrated per reviewer, so a hunk's P is
        a function of its own prompt, never of the other prompts it is batched with. In bf16 (a GPU, a
        CPU with bf16) attention's sums over the keys round differently with the number of padding keys
        in a row, even masked ones: left-padded to its batch's longest prompt, a hunk's P moved by up
        to 0.06 with its neighbours, so a decision near the threshold depended on which other hunks the
        pull request (or the evaluation) held. Here every prompt is cut at the same place (after its
        system prompt, run once per batch) and its own tokens right-padded to a width that depends on
        their length alone (`padded_width`), batched only with prompts padded to the same width."""
        import torch

        model, tokenizer, device = self._load()
        first = tokenizer.encode(NO_COMMENT)[0]
        keys = [repr(c) for c in conversations]
        groups: dict[tuple[tuple[int, ...], int], dict[str, list[int]]] = {}  # (prefix, width) -> own tokens by key
        for key, conversation in zip(keys, conversations):
            if key not in _SILENCE:
                ids = self.prompt_ids(conversation)
                prefix = self._system_tokens(conversation, ids)
                own = ids[len(prefix) :]
                groups.setdefault((tuple(prefix), padded_width(len(own))), {})[key] = own
        for (prefix, width), rows in groups.items():
            batch_keys = list(rows)
            for start in range(0, len(batch_keys), self.batch_size):
                chunk = batch_keys[start : start + self.batch_size]
                with torch.no_grad(), self._autocast(device):
                    logits = last_logits(
                        model, list(prefix), [rows[key] for key in chunk], width, tokenizer.pad_id, device
                    )
                for key, p in zip(chunk, torch.softmax(logits, dim=-1)[:, first].tolist()):
                    _SILENCE[key] = p
        return [_SILENCE[key] for key in keys]

    def _system_tokens(self, conversation: list[dict], ids: list[int]) -> list[int]:
        """The prompt's leading tokens that hold its system messages (the same for every hunk of a
        reviewer), where the chat template puts them first; else none."""
        from torchtune.data import Message

        system = [m for m in conversation if m["role"] == "system"]
        if not system:
            return []
        key = repr(system)
        if key not in self._system:
            _, tokenizer, _ = self._load()
            self._system[key], _ = tokenizer.tokenize_messages(
                [Message(m["role"], m["content"]) for m in system], add_end_tokens=False
            )
        prefix = self._system[key]
        return prefix if 0 < len(prefix) < len(ids) and ids[: len(prefix)] == prefix else []

    def answer_likelihoods(self, pairs: list[tuple[list[dict], str]]) -> list[float]:
        """The length-normalised log-likelihood of each (conversation, answer): the mean log-probability
        of the answer's tokens and the token that ends it, exactly the tokens an adapter is trained on.
        Each conversation is run once (prompts batched) and its answers after it on its
        KV cache, every answer of the batch side by side."""
        from torchtune.data import Message

        _, tokenizer, _ = self._load()
        groups: dict[str, list[int]] = {}
        for i, (conversation, _) in enumerate(pairs):
            groups.setdefault(repr(conversation), []).append(i)
        out = [float("-inf")] * len(pairs)
        # per prompt: its tokens, the pairs asking about it, and each one's (answer tokens, trained mask)
        prompts: list[tuple[list[int], list[int], list[tuple[list[int], list[bool]]]]] = []
        for members in groups.values():
            conversation = pairs[members[0]][0]
            prefix = self.prompt_ids(conversation)
            msgs = [Message(m["role"], m["content"], masked=True) for m in conversation]
            asked, tails = [], []
            for i in members:
                ids, mask = tokenizer.tokenize_messages(msgs + [Message("assistant", pairs[i][1], masked=False)])
                if ids[: len(prefix)] == prefix:  # the template must continue the prompt as generation sees it
                    asked.append(i)
                    tails.append((ids[len(prefix) :], [not m for m in mask[len(prefix) :]]))
            if tails:
                prompts.append((prefix, asked, tails))
        prompts.sort(key=lambda p: len(p[0]))
        batch: list = []
        for n, prompt in enumerate(prompts):
            batch.append(prompt)
            answers = sum(len(tails) for *_, tails in batch)
            # at most batch_size prompts, and few enough answers that their logits (answers x width x vocab) stay small
            if len(batch) == self.batch_size or answers >= 4 * self.batch_size or n + 1 == len(prompts):
                scores = self._continuations([prefix for prefix, *_ in batch], [tails for *_, tails in batch])
                for i, score in zip([i for _, asked, _ in batch for i in asked], scores):
                    out[i] = score
                batch = []
        return out

    def _continuations(self, prefixes: list[list[int]], tails: list[list[tuple[list[int], list[bool]]]]) -> list[float]:
        """Each prefix's answers scored after it: the prefixes run once, side by side, and each one's KV
        cache is repeated for its answers (right-padded, so nothing real attends to padding)."""
        import torch

        model, tokenizer, device = self._load()
        owner = torch.tensor([row for row, answers in enumerate(tails) for _ in answers], device=device)
        flat = [answer for answers in tails for answer in answers]
        width = max(len(ids) for ids, _ in flat)
        ids, own = right_padded([tail for tail, _ in flat], width, tokenizer.pad_id)
        ids, own = ids.to(device), own.to(device)
        with torch.no_grad(), self._autocast(device):
            first, cache, mask, last = prefill(model, prefixes, tokenizer.pad_id, device)
            cache.batch_select_indices(owner)
            rest = model(
                input_ids=ids,
                attention_mask=torch.cat([mask[owner], own], dim=1),
                position_ids=last[owner] + 1 + torch.arange(width, device=device),
                past_key_values=cache,
            ).logits
        # the logits that predict each answer token: the prefix's last, then the answer's own
        logits = torch.cat([first[owner].unsqueeze(1), rest[:, :-1, :].float()], dim=1)
        logp = torch.log_softmax(logits, dim=-1).gather(-1, ids.unsqueeze(-1)).squeeze(-1)
        out = []
        for row, (tail, trained) in enumerate(flat):
            chosen = torch.tensor(trained + [False] * (width - len(tail)), dtype=torch.bool, device=device)
            out.append(float(logp[row][chosen].mean()) if chosen.any() else float("-inf"))
        return out

    def generate(self, conversations: list[list[dict]], speak: bool = False) -> list[str | Unreviewed]:
        """Greedy answers. `speak`: the decision to comment is already made (by the calibrated
        threshold), so NO_COMMENT's first token is not allowed to start the answer."""
        model, tokenizer, device = self._load()
        stop = set(tokenizer.stop_ids) | {tokenizer.pad_id}  # a finished row of a batch pads
        no_comment = tokenizer.encode(NO_COMMENT)[0]
        memo = [(repr(c), speak, self.max_new_tokens) for c in conversations]
        out: list[str] = [_ANSWERS.get(m, "") for m in memo]
        todo = [i for i, m in enumerate(memo) if m not in _ANSWERS]
        batch_ids = {i: self.prompt_ids(conversations[i]) for i in todo}
        order = sorted(todo, key=lambda i: len(batch_ids[i]))
        for start in range(0, len(order), self.write_batch_size):
            idx = order[start : start + self.write_batch_size]
            prompts = [batch_ids[i] for i in idx]
            rows, ended = greedy(
                model,
                prompts,
                tokenizer.pad_id,
                device,
                stop,
                no_comment,
                speak,
                self.max_new_tokens,
                self._autocast(device),
            )
            for i, kept, done in zip(idx, rows, ended):
                self.generated_tokens += len(kept)
                # Cut off mid-sentence at the length limit: not a comment to post (as vllm.py's "length").
                out[i] = _ANSWERS[memo[i]] = tokenizer.decode(kept) if done else Unreviewed(CUT_OFF)
        return out
