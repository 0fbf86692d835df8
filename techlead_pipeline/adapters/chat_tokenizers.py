"""Chat tokenizers with one interface (`tokenize_messages`, `decode`, `pad_id`, `stop_ids`):

* Llama 3's own (torchtune's `Llama3Tokenizer`, tiktoken file, Llama 3 chat template);
* ChatML over a Hugging Face `tokenizer.json` (torchtune's `HuggingFaceBaseTokenizer`), the template
  of SmolLM2 and other instruct models:

      <|im_start|>system\\n...<|im_end|>\\n<|im_start|>user\\n...<|im_end|>\\n<|im_start|>assistant\\n...<|im_end|>\\n

Masks follow torchtune: True where a token is not trained on (everything but the assistant's answer
and the token that ends it).
"""

from __future__ import annotations

from pathlib import Path


class Llama3ChatTokenizer:
    """torchtune's Llama 3 tokenizer, with the shared attribute names."""

    def __init__(self, tokenizer_path: Path, special_tokens: dict | None = None, max_seq_len: int | None = None):
        from torchtune.models.llama3 import Llama3Tokenizer

        self.inner = Llama3Tokenizer(str(tokenizer_path), special_tokens=special_tokens, max_seq_len=max_seq_len)
        self.pad_id = self.inner.pad_id
        self.stop_ids = [self.inner.eot_id, self.inner.eos_id]

    def tokenize_messages(self, messages, add_end_tokens: bool = True) -> tuple[list[int], list[bool]]:
        return self.inner.tokenize_messages(messages, add_end_tokens=add_end_tokens)

    def encode(self, text: str) -> list[int]:
        return self.inner.encode(text, add_bos=False, add_eos=False)

    def decode(self, ids: list[int]) -> str:
        # A model's vocabulary is padded past its tokenizer's (to a multiple of 64): an id there names
        # no text, and must not fail a whole review or training run.
        return self.inner.decode([i for i in ids if 0 <= i < self.inner.vocab_size])

    def token_id(self, text: str) -> int | None:
        return self.inner.special_tokens.get(text)


class ChatMLTokenizer:
    """ChatML on a Hugging Face tokenizer.json (SmolLM2's template)."""

    START, END = "<|im_start|>", "<|im_end|>"

    def __init__(self, model_dir: Path):
        from torchtune.modules.transforms.tokenizers import HuggingFaceBaseTokenizer

        config = model_dir / "tokenizer_config.json"
        generation = model_dir / "generation_config.json"
        self.inner = HuggingFaceBaseTokenizer(
            str(model_dir / "tokenizer.json"),
            tokenizer_config_json_path=str(config) if config.exists() else None,
            generation_config_path=str(generation) if generation.exists() else None,
        )
        vocab = self.inner.tokenizer
        self.start_id = vocab.token_to_id(self.START)
        self.end_id = vocab.token_to_id(self.END)
        if self.start_id is None or self.end_id is None:
            raise ValueError(f"{model_dir}/tokenizer.json has no ChatML tokens ({self.START}, {self.END})")
        self.eos_id = self.inner.eos_id
        self.pad_id = vocab.token_to_id("<|endoftext|>") if vocab.token_to_id("<|endoftext|>") is not None else 0
        self.stop_ids = sorted({self.end_id, self.eos_id})
        self._newline = self.encode("\n")

    def encode(self, text: str) -> list[int]:
        return self.inner.tokenizer.encode(text, add_special_tokens=False).ids

    def decode(self, ids: list[int]) -> str:
        size = self.inner.tokenizer.get_vocab_size(with_added_tokens=True)
        return self.inner.tokenizer.decode([i for i in ids if 0 <= i < size], skip_special_tokens=True)

    def token_id(self, text: str) -> int | None:
        return self.inner.tokenizer.token_to_id(text)

    def tokenize_messages(self, messages, add_end_tokens: bool = True) -> tuple[list[int], list[bool]]:
        tokens: list[int] = []
        mask: list[bool] = []
        for i, message in enumerate(messages):
            text = message.text_content if hasattr(message, "text_content") else message["content"]
            role = message.role if hasattr(message, "role") else message["role"]
            header = [self.start_id, *self.encode(f"{role}\n")]
            body = self.encode(text)
            last = i == len(messages) - 1
            end = [self.end_id, *self._newline] if (add_end_tokens or not last) else []
            trained = role == "assistant" and not getattr(message, "masked", False)
            tokens += header + body + end
            # The answer is learned with its <|im_end|> (so the model learns to stop); its header is not.
            mask += [True] * len(header) + [not trained] * len(body)
            mask += [not trained] + [True] * (len(end) - 1) if end else []
        return tokens, mask
