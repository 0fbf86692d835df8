"""`local`: the adapter's own files run in-process — Hugging Face transformers + peft on the base
model, greedy decoding, CPU or GPU. What tests use with the tiny model; a single-GPU fallback in
production."""

from __future__ import annotations

from pathlib import Path

from ...adapters.base_model import BaseModel, quiet_transformers
from .generative import GenerativeBackend
from .retrieval import RetrievalBackend


class LocalBackend(GenerativeBackend):
    name = "local"

    def __init__(
        self,
        reviewer: str,
        repo: str,
        base: BaseModel,
        adapter_dir: Path,
        focus_picker: RetrievalBackend | None = None,
        max_new_tokens: int = 48,
        batch_size: int = 8,
    ):
        super().__init__(reviewer, repo, focus_picker)
        self.base = base
        self.adapter_dir = adapter_dir
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size
        self._model = None
        self._tokenizer = None

    def _load(self):
        if self._model is None:
            import torch
            from peft import PeftModel
            from transformers import LlamaForCausalLM

            quiet_transformers()
            device = "cuda" if torch.cuda.is_available() else "cpu"
            dtype = torch.bfloat16 if device == "cuda" else torch.float32
            hf = LlamaForCausalLM.from_pretrained(self.base.model_dir, dtype=dtype).to(device)
            self._model = PeftModel.from_pretrained(hf, self.adapter_dir).eval()
            self._tokenizer = self.base.tokenizer()
        return self._model, self._tokenizer

    def prompt_ids(self, conversation: list[dict]) -> list[int]:
        from torchtune.data import Message

        _, tokenizer = self._load()
        msgs = [Message(m["role"], m["content"]) for m in conversation] + [Message("assistant", "")]
        ids, _ = tokenizer.tokenize_messages(msgs, add_end_tokens=False)
        return ids

    def generate(self, conversations: list[list[dict]]) -> list[str]:
        import torch

        model, tokenizer = self._load()
        device = next(model.parameters()).device
        stop = [tokenizer.eot_id, tokenizer.eos_id]
        out: list[str] = []
        for i in range(0, len(conversations), self.batch_size):
            batch = [self.prompt_ids(c) for c in conversations[i : i + self.batch_size]]
            width = max(map(len, batch))
            ids = torch.full((len(batch), width), tokenizer.pad_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, seq in enumerate(batch):  # left padding, so every prompt ends where generation starts
                ids[row, width - len(seq) :] = torch.tensor(seq)
                mask[row, width - len(seq) :] = 1
            with torch.no_grad():
                generated = model.generate(
                    input_ids=ids.to(device),
                    attention_mask=mask.to(device),
                    max_new_tokens=self.max_new_tokens,
                    do_sample=False,
                    eos_token_id=stop,
                    pad_token_id=tokenizer.pad_id,
                )
            for row in generated[:, width:].tolist():
                kept = []
                for token in row:
                    if token in stop or token == tokenizer.pad_id:
                        break
                    kept.append(token)
                out.append(tokenizer.decode(kept))
        return out
