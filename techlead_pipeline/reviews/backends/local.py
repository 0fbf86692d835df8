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
from .generative import GenerativeBackend
from .retrieval import RetrievalBackend

_LOADED: dict[tuple[str, str | None], tuple] = {}
_LOCK = threading.Lock()
# Greedy answers of the loaded model, by (conversation, speak, max new tokens): decoding is
# deterministic, and the evaluation asks the same conversation of several systems (lora, rerank).
_ANSWERS: dict[tuple[str, bool, int], str] = {}


def load_model(base: BaseModel, adapter_dir: Path | None):
    """(model, tokenizer, device) for `base` with the adapter at `adapter_dir` (None: the base alone),
    loaded once per process."""
    key = (str(base.model_dir.resolve()), str(adapter_dir.resolve()) if adapter_dir else None)
    with _LOCK:
        if key not in _LOADED:
            import torch
            from transformers import AutoModelForCausalLM

            quiet_transformers()
            device = "cuda" if torch.cuda.is_available() else "cpu"
            dtype = torch.bfloat16 if device == "cuda" else torch.float32
            model = AutoModelForCausalLM.from_pretrained(base.model_dir, dtype=dtype).to(device)
            if adapter_dir is not None:
                from peft import PeftModel

                # Folded into the weights: serving never trains, and a merged model is ~30% faster.
                model = PeftModel.from_pretrained(model, adapter_dir).merge_and_unload()
            _LOADED.clear()  # one model at a time: a CPU process has no memory to spare
            _ANSWERS.clear()
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
        examples: int = 0,
        prompt_tokens: int | None = None,
        prompt_style: str = "full",
    ):
        super().__init__(reviewer, repo, focus_picker, examples=examples, prompt_style=prompt_style)
        self.base = base
        self.adapter_dir = adapter_dir
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size
        # The adapter learned from prompts of at most its training `max_seq_len`: it is asked with the same.
        self.prompt_tokens = prompt_tokens
        self.last_silence: dict[str, float] = {}  # P(NO_COMMENT) seen while generating, by conversation
        self.generated_tokens = 0

    def _load(self):
        return load_model(self.base, self.adapter_dir)

    @property
    def context_tokens(self) -> int:
        return min(self.base.context_tokens, self.prompt_tokens or self.base.context_tokens)

    def prompt_ids(self, conversation: list[dict]) -> list[int]:
        from torchtune.data import Message

        _, tokenizer, _ = self._load()
        msgs = [Message(m["role"], m["content"]) for m in conversation] + [Message("assistant", "")]
        ids, _ = tokenizer.tokenize_messages(msgs, add_end_tokens=False)
        return ids

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
        The speak-or-not decision is this against a threshold calibrated per reviewer."""
        import torch

        model, tokenizer, device = self._load()
        first = tokenizer.encode(NO_COMMENT)[0]
        out: list[float] = [0.0] * len(conversations)
        todo = [i for i, c in enumerate(conversations) if repr(c) not in self.last_silence]
        for i, c in enumerate(conversations):
            if i not in todo:
                out[i] = self.last_silence[repr(c)]
        batch_ids = {i: self.prompt_ids(conversations[i]) for i in todo}
        order = sorted(todo, key=lambda i: len(batch_ids[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            ids, mask = self._left_padded([batch_ids[i] for i in idx], tokenizer.pad_id)
            with torch.no_grad(), self._autocast(device):
                logits = model(input_ids=ids.to(device), attention_mask=mask.to(device), logits_to_keep=1).logits
            probs = torch.softmax(logits[:, -1, :].float(), dim=-1)[:, first].tolist()
            for i, p in zip(idx, probs):
                out[i] = p
        return out

    def answer_likelihoods(self, pairs: list[tuple[list[dict], str]]) -> list[float]:
        """The length-normalised log-likelihood of each (conversation, answer): the mean log-probability
        of the answer's tokens and the token that ends it, exactly the tokens an adapter is trained on."""
        import torch
        from torchtune.data import Message

        model, tokenizer, device = self._load()
        rows = []
        for conversation, answer in pairs:
            msgs = [Message(m["role"], m["content"], masked=True) for m in conversation]
            ids, mask = tokenizer.tokenize_messages(msgs + [Message("assistant", answer, masked=False)])
            rows.append((ids, [not m for m in mask]))
        out = [0.0] * len(rows)
        order = sorted(range(len(rows)), key=lambda i: len(rows[i][0]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            ids, attention = self._left_padded([rows[i][0] for i in idx], tokenizer.pad_id)
            # from the answer's first token to the end (the template may close the turn after it), and one before
            keep = max(len(rows[i][1]) - rows[i][1].index(True) if True in rows[i][1] else 1 for i in idx) + 1
            with torch.no_grad(), self._autocast(device):
                logits = model(
                    input_ids=ids.to(device), attention_mask=attention.to(device), logits_to_keep=keep
                ).logits.float()
            logp = torch.log_softmax(logits[:, :-1], dim=-1)
            targets = ids[:, -keep + 1 :].to(device)
            picked = logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
            for row, i in enumerate(idx):
                trained = torch.tensor(rows[i][1][-keep + 1 :], dtype=torch.bool, device=device)
                pad = keep - 1 - len(rows[i][1][-keep + 1 :])
                chosen = torch.cat([torch.zeros(pad, dtype=torch.bool, device=device), trained])
                out[i] = float(picked[row][chosen].mean()) if chosen.any() else float("-inf")
        return out

    @staticmethod
    def _left_padded(batch: list[list[int]], pad_id: int):
        import torch

        width = max(map(len, batch))
        ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, seq in enumerate(batch):  # left padding: every prompt ends where generation starts
            ids[row, width - len(seq) :] = torch.tensor(seq)
            mask[row, width - len(seq) :] = 1
        return ids, mask

    def generate(self, conversations: list[list[dict]], speak: bool = False) -> list[str]:
        """Greedy answers. `speak`: the decision to comment is already made (by the calibrated
        threshold), so NO_COMMENT's first token is not allowed to start the answer."""
        import torch

        model, tokenizer, device = self._load()
        stop = list(tokenizer.stop_ids)
        no_comment = tokenizer.encode(NO_COMMENT)[0]
        memo = [(repr(c), speak, self.max_new_tokens) for c in conversations]
        out: list[str] = [_ANSWERS.get(m, "") for m in memo]
        todo = [i for i, m in enumerate(memo) if m not in _ANSWERS]
        batch_ids = {i: self.prompt_ids(conversations[i]) for i in todo}
        order = sorted(todo, key=lambda i: len(batch_ids[i]))
        extra = {}
        if speak:
            extra["begin_suppress_tokens"] = [no_comment]
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            ids, mask = self._left_padded([batch_ids[i] for i in idx], tokenizer.pad_id)
            with torch.no_grad(), self._autocast(device):
                result = model.generate(
                    input_ids=ids.to(device),
                    attention_mask=mask.to(device),
                    max_new_tokens=self.max_new_tokens,
                    do_sample=False,
                    use_cache=True,
                    eos_token_id=stop,
                    pad_token_id=tokenizer.pad_id,
                    return_dict_in_generate=True,
                    output_logits=True,
                    **extra,
                )
            # The first step's raw logits say how likely silence was: kept, so deciding costs no second pass.
            first_probs = torch.softmax(result.logits[0].float(), dim=-1)[:, no_comment].tolist()
            for i, p in zip(idx, first_probs):
                self.last_silence[repr(conversations[i])] = p
            width = ids.shape[1]
            for i, row in zip(idx, result.sequences[:, width:].tolist()):
                kept = []
                for token in row:
                    if token in stop or token == tokenizer.pad_id:
                        break
                    kept.append(token)
                self.generated_tokens += len(kept)
                out[i] = _ANSWERS[memo[i]] = tokenizer.decode(kept)
        return out
