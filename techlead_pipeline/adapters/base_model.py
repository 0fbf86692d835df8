"""The base model an adapter is trained on: a local Hugging Face-format folder, described by an
entry of the registry (base_models.py) that names its architecture, tokenizer, chat template and
context. The folder may say which entry it is in `techlead_base.json`:

    {"family": "smollm2-135m-instruct", "model_id": "...", "tokenizer": "tokenizer.json"}

A folder without it is Llama 3 8B Instruct as Meta ships it (config.json, model-*.safetensors,
original/tokenizer.model): production, from a local path; no download ever happens.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

DESCRIPTOR = "techlead_base.json"
LLAMA3_8B_INSTRUCT = "meta-llama/Meta-Llama-3-8B-Instruct"


class BaseModelError(RuntimeError):
    pass


def quiet_transformers() -> None:
    """Keeps a run's log to our own progress lines: no weight loading/writing bars from transformers,
    and no deprecation notice from peft calling transformers' renamed is_gradient_checkpointing."""
    import warnings

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)


@dataclass(frozen=True)
class BaseModel:
    model_dir: Path

    @cached_property
    def descriptor(self) -> dict:
        path = self.model_dir / DESCRIPTOR
        return json.loads(path.read_text()) if path.exists() else {}

    @cached_property
    def spec(self):
        from .base_models import spec_named

        return spec_named(self.descriptor.get("family", "llama3-8b-instruct"))

    @cached_property
    def config(self) -> dict:
        path = self.model_dir / "config.json"
        if not path.exists():
            raise BaseModelError(f"{self.model_dir} is not a Hugging Face model folder (no config.json)")
        return json.loads(path.read_text())

    @property
    def model_id(self) -> str:
        return self.descriptor.get("model_id") or self.config.get("_name_or_path") or LLAMA3_8B_INSTRUCT

    @property
    def tokenizer_path(self) -> Path:
        return self.model_dir / self.descriptor.get("tokenizer", self.spec.tokenizer_file)

    @property
    def special_tokens(self) -> dict | None:
        name = self.descriptor.get("special_tokens")
        return json.loads((self.model_dir / name).read_text()) if name else None  # None: Llama 3's own

    @property
    def context_tokens(self) -> int:
        """How many tokens one prompt and its answer may take together."""
        return min(self.spec.context_tokens, int(self.config.get("max_position_embeddings") or 10**9))

    @property
    def checkpoint_files(self) -> list[str]:
        files = sorted(p.name for p in self.model_dir.glob("*.safetensors") if not p.name.startswith("adapter"))
        if not files:
            raise BaseModelError(f"no *.safetensors weights in {self.model_dir}")
        return files

    @property
    def rope_base(self) -> float:
        return float(
            self.config.get("rope_theta") or (self.config.get("rope_parameters") or {}).get("rope_theta") or 500_000
        )

    @property
    def tied_embeddings(self) -> bool:
        return bool(self.config.get("tie_word_embeddings", False))

    def lora_model_kwargs(self, max_seq_len: int) -> dict:
        """Arguments for torchtune's LoRA component builder, read from config.json."""
        c = self.config
        kwargs = dict(
            vocab_size=c["vocab_size"],
            num_layers=c["num_hidden_layers"],
            num_heads=c["num_attention_heads"],
            num_kv_heads=c.get("num_key_value_heads", c["num_attention_heads"]),
            embed_dim=c["hidden_size"],
            max_seq_len=max(max_seq_len, 1),
            intermediate_dim=c["intermediate_size"],
            norm_eps=c.get("rms_norm_eps", 1e-5),
            rope_base=self.rope_base,
        )
        if self.tied_embeddings:
            kwargs["scale_factor"] = 1  # torchtune's Llama3ScaledRoPE with scale 1 is plain RoPE
        return kwargs

    def lora_builder(self):
        """torchtune's builder for this architecture: tied input/output embeddings are `lora_llama3_2`."""
        if self.tied_embeddings:
            from torchtune.models.llama3_2 import lora_llama3_2

            return lora_llama3_2
        from torchtune.models.llama3 import lora_llama3

        return lora_llama3

    @property
    def checkpoint_model_type(self) -> str:
        return "LLAMA3_2" if self.tied_embeddings else "LLAMA3"

    def tokenizer(self, max_seq_len: int | None = None):
        from .chat_tokenizers import ChatMLTokenizer, Llama3ChatTokenizer

        if self.spec.chat_template == "chatml":
            return ChatMLTokenizer(self.model_dir)
        if not self.tokenizer_path.exists():
            raise BaseModelError(f"tokenizer not found at {self.tokenizer_path}")
        return Llama3ChatTokenizer(self.tokenizer_path, self.special_tokens, max_seq_len)

    def fingerprint(self) -> str:
        """A content hash of config, tokenizer and weights (large shards: size plus head and tail)."""
        digest = hashlib.sha256()
        for path in [self.model_dir / "config.json", self.tokenizer_path] + [
            self.model_dir / f for f in self.checkpoint_files
        ]:
            digest.update(path.name.encode())
            size = path.stat().st_size
            digest.update(str(size).encode())
            with path.open("rb") as fh:
                if size <= 64 << 20:
                    digest.update(fh.read())
                else:
                    digest.update(fh.read(4 << 20))
                    fh.seek(-(4 << 20), 2)
                    digest.update(fh.read())
        return digest.hexdigest()[:32]
