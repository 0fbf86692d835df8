"""The small interface every adapter trainer implements (torchtune today; swappable later,
since torchtune is no longer developed upstream)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Protocol

import pandas as pd


@dataclass(frozen=True)
class ChatExample:
    system: str
    user: str
    assistant: str


def chat_examples(frame: pd.DataFrame) -> list[ChatExample]:
    return [ChatExample(r.system, r.prompt, r.response) for r in frame.itertuples(index=False)]


@dataclass(frozen=True)
class LoraSettings:
    """Production defaults fit Llama 3 8B on one 80 GB card: bf16 weights, activation checkpointing."""

    rank: int = 16
    alpha: float = 32.0
    dropout: float = 0.05
    attn_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "output_proj")
    apply_to_mlp: bool = True
    apply_to_output: bool = False
    lr: float = 2e-4
    weight_decay: float = 0.01
    epochs: int = 2
    batch_size: int = 8
    grad_accum: int = 2
    max_seq_len: int = 2048
    warmup_steps: int = 20
    max_steps: int | None = None
    dtype: str = "auto"  # auto: bf16 on GPU, fp32 on CPU (with bf16 autocast where the CPU has it)
    cpu_autocast: bool = True
    # What training sees (newest first): at most this many comments, with as many silences, and at
    # most this many tokens in all. None: everything.
    max_train_comments: int | None = None
    max_train_tokens: int | None = None
    activation_checkpointing: str = "auto"  # auto: on GPU only
    seed: int = 0
    # Speed on a CPU. LoRA on the top `lora_layers` layers only: the layers below run without autograd
    # and backward stops above them (None: every layer). Frozen base weights in bf16 where the CPU
    # multiplies bf16 (`base_dtype` auto), the LoRA weights fp32. `packed`: several examples per row
    # of `pack_tokens` (block-causal), instead of padded batches of like lengths.
    lora_layers: int | None = None
    base_dtype: str = "auto"
    packed: bool = False
    pack_tokens: int | None = None
    # How much training, chosen on the validation split while it trains: its loss every `eval_every`
    # optimizer steps, the best adapter kept, training stopped after `patience` evaluations without a
    # better one (None: train every step, measure at the start and the end only).
    eval_every: int | None = None
    patience: int | None = None
    # What the prompt holds (training_data/prompts.py, the same in training and in review): the system
    # prompt's wording, and the share of training examples shown the lead's `rag_examples` nearest
    # earlier comments (retrieval-augmented fine-tuning; never the example's own, never a later one).
    prompt_style: str = "full"
    rag_share: float = 0.0
    rag_examples: int = 3

    def as_dict(self) -> dict:
        d = asdict(self)
        d["attn_modules"] = list(self.attn_modules)
        return d


@dataclass
class TrainingReport:
    device: str
    dtype: str
    steps: int
    epochs: int
    train_examples: int
    skipped_too_long: int
    tokens: int
    trained_tokens: int
    seconds: float
    tokens_per_second: float
    train_loss: list[float] = field(default_factory=list)
    eval_loss_before: float | None = None
    eval_loss_after: float | None = None
    peak_memory_gb: float | None = None
    trainable_params: int = 0
    total_params: int = 0
    # Validation loss by optimizer step (step 0: before training); the adapter kept is the best one.
    validation_curve: list[tuple[int, float]] = field(default_factory=list)
    best_step: int | None = None
    stopped_early: bool = False
    padding_share: float = 0.0  # of the tokens run through the model, the share that was padding

    def as_dict(self) -> dict:
        return asdict(self)


Progress = Callable[[int, int, float], None]  # (step, total steps, loss)


class AdapterTrainer(Protocol):
    def train(
        self,
        train: list[ChatExample],
        holdout: list[ChatExample],
        out_dir: Path,
        progress: Progress | None = None,
        validation: list[ChatExample] | None = None,
    ) -> TrainingReport:
        """Trains an adapter and writes it to `out_dir` in PEFT format (adapter_config.json,
        adapter_model.safetensors). `validation` decides how long to train (early stopping);
        `holdout` is only measured, before and after, and decides nothing."""
