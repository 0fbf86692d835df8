"""LoRA fine-tuning with torchtune's components: the architecture's LoRA builder (`lora_llama3`, or
`lora_llama3_2` for tied embeddings such as SmolLM2's), the Hugging Face checkpointer (reads HF
weights, writes the adapter in PEFT format — the format vLLM and `peft` load), torchtune's LoRA
parameter utilities, its tokenizers and SFT collate.

On a CPU the matrix work runs in bf16 under autocast where the CPU has bf16 instructions
(AVX512-BF16, AMX), with the frozen base weights stored in bf16 (no cast per step) and the LoRA
weights in fp32; examples are batched by length, so little of a batch is padding (or packed,
adapters/batches.py). With `lora_layers`, only the top layers carry LoRA: the ones below run
without autograd, and backward stops where the adapter starts. How long to train is decided on the
validation split: its loss is measured every `eval_every` steps, the best adapter is kept, and
training stops when it has not improved for `patience` measurements.

A loop of our own rather than `tune run lora_finetune_single_device`: the recipe wants YAML
configs and datasets on disk, and our examples hold source code that must never touch disk.
"""

from __future__ import annotations

import json
import logging
import math
import random
import shutil
import tempfile
import time
from pathlib import Path

from .base_model import BaseModel
from .batches import Batch, epoch_batches, length_batches, padded_batch, within_token_budget
from .early_stopping import EarlyStopping
from .trainer import ChatExample, LoraSettings, Progress, TrainingReport

log = logging.getLogger(__name__)
# torchao warns at import that its optional C++ kernels do not match this torch (we use none of them).
logging.getLogger("torchao").setLevel(logging.ERROR)
PEFT_FILES = ("adapter_config.json", "adapter_model.safetensors")
FROZEN_CACHE_BYTES = 2 * 2**30  # host memory for the hidden states of measured samples below the LoRA layers


def cpu_has_bf16() -> bool:
    """Whether this CPU multiplies bf16 natively (AVX512-BF16 or AMX); autocast to bf16 is slow without."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


class TorchtuneLoraTrainer:
    def __init__(self, base: BaseModel, settings: LoraSettings, device: str | None = None):
        self.base = base
        self.settings = settings
        self.device_name = device
        self.trained_model = None  # the last trained torchtune model (for equivalence checks)
        self.first_lora_layer = 0  # layers below this one carry no trainable LoRA weights
        self._fp32_base: dict = {}  # the base weights trained in bf16, as they were

    # ------------------------------------------------------------------ set-up
    def _device_and_dtype(self):
        import torch

        device = torch.device(self.device_name or ("cuda" if torch.cuda.is_available() else "cpu"))
        want = self.settings.dtype
        if want == "auto":
            want = "bf16" if device.type == "cuda" else "fp32"
        dtype = {"bf16": torch.bfloat16, "fp32": torch.float32, "fp16": torch.float16}[want]
        return device, dtype, want

    def autocast(self, device, dtype):
        """bf16 matrix work for fp32 weights on a CPU that has it; nothing otherwise."""
        import contextlib

        import torch

        if self._cpu_bf16(device, dtype):
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _cpu_bf16(self, device, dtype) -> bool:
        import torch

        return device.type == "cpu" and dtype == torch.float32 and self.settings.cpu_autocast and cpu_has_bf16()

    def build_model(self, device, dtype):
        """The LoRA model with the base weights loaded through torchtune's HF checkpointer."""
        import torch
        from torchtune import training
        from torchtune.modules.peft import (
            get_adapter_params,
            set_trainable_params,
            validate_missing_and_unexpected_for_lora,
        )

        s = self.settings
        with training.set_default_dtype(dtype), torch.device("cpu"):
            model = self.base.lora_builder()(
                lora_attn_modules=list(s.attn_modules),
                apply_lora_to_mlp=s.apply_to_mlp,
                apply_lora_to_output=s.apply_to_output,
                lora_rank=s.rank,
                lora_alpha=s.alpha,
                lora_dropout=s.dropout,
                **self.base.lora_model_kwargs(s.max_seq_len),
            )
        checkpointer = self._checkpointer(Path(tempfile.mkdtemp(prefix="tt-load-")))
        try:
            state = checkpointer.load_checkpoint()[training.MODEL_KEY]
        finally:
            shutil.rmtree(checkpointer._output_dir, ignore_errors=True)
        missing, unexpected = model.load_state_dict(state, strict=False)
        validate_missing_and_unexpected_for_lora(
            lora_attn_modules=list(s.attn_modules),
            apply_lora_to_mlp=s.apply_to_mlp,
            apply_lora_to_output=s.apply_to_output,
            base_missing=missing,
            base_unexpected=unexpected,
        )
        set_trainable_params(model, get_adapter_params(model))
        self._freeze_lower_layers(model)
        model.to(device=device, dtype=dtype)
        if self._activation_checkpointing(device):
            from torchtune.modules import TransformerSelfAttentionLayer

            training.set_activation_checkpointing(model, auto_wrap_policy={TransformerSelfAttentionLayer})
        return model

    def _bf16_base(self, model, device, dtype) -> None:
        """On a CPU with bf16, the frozen base matrices are stored in bf16 for training: autocast would
        cast them anew at every step. Their fp32 values come back after training (train()), so the
        model handed on is the base model plus the adapter, exactly."""
        import torch

        if self.settings.base_dtype not in ("auto", "bf16") or not self._cpu_bf16(device, dtype):
            return
        for name, p in model.named_parameters():
            if "lora_" not in name and p.dim() >= 2:  # matrices; norm scales stay fp32 (fused kernels)
                self._fp32_base[name] = p.data
                p.data = p.data.to(torch.bfloat16)

    def _freeze_lower_layers(self, model) -> None:
        """LoRA on the top `lora_layers` layers only. The lower layers' LoRA weights stay as
        initialised (B = 0: they change nothing) and are switched off, so the adapter file keeps the
        shape every loader expects while backward stops at the first trained layer."""
        from torchtune.modules.peft import LoRALinear

        keep = self.settings.lora_layers
        self.first_lora_layer = 0 if keep is None else max(0, len(model.layers) - keep)
        for layer in model.layers[: self.first_lora_layer]:
            for module in layer.modules():
                if isinstance(module, LoRALinear):
                    module.disabled = True
                    for p in (*module.lora_a.parameters(), *module.lora_b.parameters()):
                        p.requires_grad_(False)

    def _activation_checkpointing(self, device) -> bool:
        ac = self.settings.activation_checkpointing
        return device.type == "cuda" if ac == "auto" else ac in ("true", "on", "1", True)

    def _checkpointer(self, output_dir: Path):
        from torchtune.training.checkpointing import FullModelHFCheckpointer

        return FullModelHFCheckpointer(
            checkpoint_dir=str(self.base.model_dir),
            checkpoint_files=self.base.checkpoint_files,
            model_type=self.base.checkpoint_model_type,
            output_dir=str(output_dir),
        )

    def tokenize(self, tokenizer, examples: list[ChatExample]) -> tuple[list[dict], int]:
        """Token ids and labels; a prompt too long for `max_seq_len` is shrunk to fit (prompts.fit_prompt),
        and an example whose answer cannot fit whatever the prompt is left out: never train on a
        cut-off answer."""
        from torchtune.data import CROSS_ENTROPY_IGNORE_IDX, Message

        from ..training_data.prompts import fit_prompt

        def chat(ex: ChatExample, user: str):
            return tokenizer.tokenize_messages(
                [
                    Message("system", ex.system, masked=True),
                    Message("user", user, masked=True),
                    Message("assistant", ex.assistant, masked=False),
                ]
            )

        out, too_long = [], 0
        for ex in examples:
            user = fit_prompt(ex.user, lambda u, ex=ex: len(chat(ex, u)[0]) <= self.settings.max_seq_len)
            if user is None:
                too_long += 1
                continue
            tokens, mask = chat(ex, user)
            labels = [CROSS_ENTROPY_IGNORE_IDX if m else t for t, m in zip(tokens, mask)]
            out.append({"tokens": tokens, "labels": labels})
        return out, too_long

    # ------------------------------------------------------------------ loss
    def _loss(self, model, batch: Batch, device, frozen=None):
        """Summed cross-entropy over the answer tokens, and their count. The vocabulary projection runs
        for those positions only: a review comment is a few dozen tokens of a prompt of hundreds, and
        projecting every position onto a 49k-128k vocabulary costs more than the rest of the model.
        `frozen`: the batch's hidden states below the first LoRA layer, already computed (they never
        change while training: measure())."""
        import torch.nn.functional as F
        from torchtune.data import CROSS_ENTROPY_IGNORE_IDX

        labels = batch.labels.to(device)[:, 1:]
        chosen = labels != CROSS_ENTROPY_IGNORE_IDX
        with self.autocast(device, next(p for p in model.parameters() if p.requires_grad).dtype):
            h = self._below_lora(model, batch, device) if frozen is None else frozen
            for layer in model.layers[self.first_lora_layer :]:  # right padding never reaches real tokens (causal)
                h = layer(h, **self._packing(batch, device))
            logits = model.output(model.norm(h)[:, :-1][chosen])
        return F.cross_entropy(logits.float(), labels[chosen], reduction="sum"), int(chosen.sum())

    @staticmethod
    def _packing(batch: Batch, device) -> dict:
        if batch.mask is None:
            return {}
        # packed rows: each example attends to itself, positions restart
        return {"mask": batch.mask.to(device), "input_pos": batch.input_pos.to(device)}

    def _below_lora(self, model, batch: Batch, device):
        """The hidden states entering the first LoRA layer: the frozen base alone, without autograd."""
        import torch

        with torch.no_grad():
            h = model.tok_embeddings(batch.tokens.to(device))
            for layer in model.layers[: self.first_lora_layer]:
                h = layer(h, **self._packing(batch, device))
        return h

    def evaluate(self, model, tokenizer, samples: list[dict], device, frozen: dict | None = None) -> float | None:
        """The mean loss per answer token over `samples`. `frozen` (a dict kept by the caller across
        measurements of the same samples): the hidden states below the first LoRA layer, computed once,
        where they fit in FROZEN_CACHE_BYTES of host memory: training never changes them, and on a
        CPU they are most of a measurement's cost (20 of SmolLM2's 30 layers)."""
        import torch

        if not samples:
            return None
        model.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for idx in length_batches(samples, self.settings.batch_size):
                batch = padded_batch([samples[i] for i in idx], tokenizer.pad_id)
                key = tuple(idx)
                if frozen is not None and key not in frozen and self._cacheable(frozen, batch, model, device):
                    with self.autocast(device, next(p for p in model.parameters() if p.requires_grad).dtype):
                        frozen[key] = self._below_lora(model, batch, device)
                loss, n = self._loss(model, batch, device, None if frozen is None else frozen.get(key))
                total, count = total + loss.item(), count + n
        model.train()
        return total / max(count, 1)

    def _cacheable(self, frozen: dict, batch: Batch, model, device) -> bool:
        if device.type != "cpu" or not self.first_lora_layer:  # a GPU has no memory to keep them in
            return False
        held = sum(t.numel() * t.element_size() for t in frozen.values())
        width = model.tok_embeddings.embedding_dim
        return held + batch.tokens.numel() * width * 4 <= FROZEN_CACHE_BYTES

    # ------------------------------------------------------------------ train
    def train(
        self,
        train: list[ChatExample],
        holdout: list[ChatExample],
        out_dir: Path,
        progress: Progress | None = None,
        validation: list[ChatExample] | None = None,
    ) -> TrainingReport:
        import torch
        from torchtune import training
        from torchtune.modules.peft import get_adapter_state_dict, get_lora_module_names

        s = self.settings
        for name in ("torchtune", "torchtune.utils._logging"):  # per-file checkpoint chatter
            logging.getLogger(name).setLevel(logging.WARNING)
        random.seed(s.seed)
        torch.manual_seed(s.seed)
        device, dtype, dtype_name = self._device_and_dtype()
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        tokenizer = self.base.tokenizer()
        train_samples, too_long = self.tokenize(tokenizer, train)
        train_samples = within_token_budget(train_samples, s.max_train_tokens)
        eval_samples, _ = self.tokenize(tokenizer, holdout)
        validation_samples, _ = self.tokenize(tokenizer, validation or [])
        if not train_samples:
            raise ValueError("no training example fits in max_seq_len")
        model = self.build_model(device, dtype)
        self._bf16_base(model, device, dtype)
        trainable = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(trainable, lr=s.lr, weight_decay=s.weight_decay)
        steps_per_epoch = math.ceil(len(train_samples) / (s.batch_size * s.grad_accum))
        total_steps = (
            steps_per_epoch * s.epochs if s.max_steps is None else min(s.max_steps, steps_per_epoch * s.epochs)
        )
        scheduler = training.get_cosine_schedule_with_warmup(
            optimizer, min(s.warmup_steps, total_steps // 10), max(total_steps, 1)
        )
        held_out_frozen: dict = {}  # the held-out samples' frozen hidden states: measured before and after
        eval_before = self.evaluate(model, tokenizer, eval_samples, device, held_out_frozen)
        watch = EarlyStopping(self, model, tokenizer, validation_samples, device)
        watch.seconds = 0.0  # the measurement before training is not inside the loop
        rng = random.Random(s.seed)
        step, seen_tokens, real_tokens, trained_tokens, losses = 0, 0, 0, 0, []
        pack = (s.pack_tokens or 2 * s.max_seq_len) if s.packed else None
        started = time.perf_counter()
        model.train()
        while step < total_steps and not watch.stopped:
            batches = epoch_batches(train_samples, s.batch_size, tokenizer.pad_id, rng, pack)
            for b_index, batch in enumerate(batches):
                loss_sum, n = self._loss(model, batch, device)
                (loss_sum / max(n, 1) / s.grad_accum).backward()
                seen_tokens += batch.padded_tokens
                real_tokens += batch.real_tokens
                trained_tokens += n
                if (b_index + 1) % s.grad_accum == 0 or b_index + 1 == len(batches):
                    torch.nn.utils.clip_grad_norm_(trainable, 1.0)
                    optimizer.step()
                    optimizer.zero_grad(set_to_none=True)
                    scheduler.step()
                    step += 1
                    losses.append(round(loss_sum.detach().item() / max(n, 1), 4))
                    if progress:
                        progress(step, total_steps, losses[-1])
                    if s.eval_every and step % s.eval_every == 0 and step < total_steps:
                        watch.measure(step)
                    if step >= total_steps or watch.stopped:
                        break
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        seconds = time.perf_counter() - started
        measuring = watch.seconds  # validation measurements inside the loop
        if not watch.stopped:
            watch.measure(step)
        watch.restore_best()
        eval_after = self.evaluate(model, tokenizer, eval_samples, device, held_out_frozen)
        del held_out_frozen, watch.frozen
        self._save(model, out_dir, get_adapter_state_dict, get_lora_module_names)
        model.eval()
        for name, p in model.named_parameters():
            if name in self._fp32_base:
                p.data = self._fp32_base[name]
        self._fp32_base = {}
        self.trained_model = model
        peak = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
        return TrainingReport(
            device=str(device),
            dtype=dtype_name,
            steps=step,
            epochs=s.epochs,
            train_examples=len(train_samples),
            skipped_too_long=too_long,
            tokens=seen_tokens,
            trained_tokens=trained_tokens,
            seconds=round(seconds, 3),
            # training throughput: the loop's time less the validation measurements made inside it
            tokens_per_second=round(seen_tokens / max(seconds - measuring, 1e-9), 1),
            train_loss=losses,
            eval_loss_before=eval_before,
            eval_loss_after=eval_after,
            peak_memory_gb=None if peak is None else round(peak, 2),
            trainable_params=sum(p.numel() for p in trainable),
            total_params=sum(p.numel() for p in model.parameters()),
            validation_curve=watch.curve,
            best_step=watch.best_step if watch.curve else None,
            stopped_early=watch.stopped,
            padding_share=round(1 - real_tokens / max(seen_tokens, 1), 4),
        )

    def _save(self, model, out_dir: Path, get_adapter_state_dict, get_lora_module_names) -> None:
        """Writes the adapter through torchtune's HF checkpointer, which converts it to PEFT."""
        from torchtune import training

        s = self.settings
        state = {k: v.detach().to("cpu") for k, v in get_adapter_state_dict(model.state_dict()).items()}
        config = {
            "r": s.rank,
            "lora_alpha": s.alpha,
            "peft_type": "LORA",
            "target_modules": get_lora_module_names(list(s.attn_modules), s.apply_to_mlp, s.apply_to_output),
        }
        scratch = Path(tempfile.mkdtemp(prefix="tt-save-"))
        try:
            self._checkpointer(scratch).save_checkpoint(
                {training.ADAPTER_KEY: state, training.ADAPTER_CONFIG: config}, epoch=0, adapter_only=True
            )
            out_dir.mkdir(parents=True, exist_ok=True)
            for name in PEFT_FILES:
                shutil.copy2(scratch / "epoch_0" / name, out_dir / name)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        cfg_path = out_dir / "adapter_config.json"
        cfg = json.loads(cfg_path.read_text())
        cfg.setdefault("base_model_name_or_path", self.base.model_id)
        cfg.setdefault("task_type", "CAUSAL_LM")
        cfg_path.write_text(json.dumps(cfg, indent=1))
