"""A tiny Llama 3-architecture model and tokenizer, built locally (no downloads).

Tests and the demo train real torchtune LoRA adapters on it on a CPU. The tokenizer is a byte-level
BPE in tiktoken's file format (what Llama 3 ships), trained here on a small corpus with Llama 3's
pre-tokenisation pattern; Llama 3's special tokens get ids after the learned vocabulary.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from pathlib import Path

import regex

from .base_model import DESCRIPTOR, BaseModel, quiet_transformers
from .base_models import REGISTRY

# The tiny model's CPU profile as TECHLEAD_LORA_* variables (for tests that set the environment).
CPU_LORA_ENV = {f"TECHLEAD_LORA_{k.upper()}": str(v) for k, v in REGISTRY["tiny-random"].cpu_lora}


def train_bpe(texts: list[str], n_merges: int, max_words: int = 4000) -> list[bytes]:
    """Byte-level BPE: 256 byte tokens, then the most frequent adjacent pair, `n_merges` times, over
    text split with Llama 3's own pre-tokenisation pattern."""
    from torchtune.models.llama3._tokenizer import CL100K_PATTERN

    words = Counter()
    for text in texts:
        words.update(piece.encode() for piece in regex.findall(CL100K_PATTERN, text))
    common = dict(words.most_common(max_words))
    seqs = {w: [bytes([b]) for b in w] for w in common}
    vocab = [bytes([i]) for i in range(256)]
    known = set(vocab)
    for _ in range(n_merges):
        pairs: Counter = Counter()
        for w, freq in common.items():
            s = seqs[w]
            for a, b in zip(s, s[1:]):
                pairs[(a, b)] += freq
        if not pairs:
            break
        (a, b), count = pairs.most_common(1)[0]
        if count < 2:
            break
        merged = a + b
        if merged not in known:
            vocab.append(merged)
            known.add(merged)
        for w, s in seqs.items():
            i, out = 0, []
            while i < len(s):
                if i + 1 < len(s) and s[i] == a and s[i + 1] == b:
                    out.append(merged)
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            seqs[w] = out
    return vocab


def build_tiny_base_model(
    out_dir: Path,
    corpus: list[str],
    *,
    n_merges: int = 600,
    hidden: int = 64,
    layers: int = 2,
    heads: int = 4,
    kv_heads: int = 2,
    intermediate: int = 176,
    max_positions: int = 4096,
    seed: int = 0,
) -> BaseModel:
    import torch
    from torchtune.models.llama3._tokenizer import LLAMA3_SPECIAL_TOKENS
    from transformers import LlamaConfig, LlamaForCausalLM

    out_dir.mkdir(parents=True, exist_ok=True)
    vocab = train_bpe(corpus, n_merges)
    (out_dir / "original").mkdir(exist_ok=True)
    (out_dir / "original" / "tokenizer.model").write_text(
        "".join(f"{base64.b64encode(tok).decode()} {rank}\n" for rank, tok in enumerate(vocab))
    )
    base = len(vocab)
    special = {name: base + i for i, name in enumerate(sorted(LLAMA3_SPECIAL_TOKENS, key=LLAMA3_SPECIAL_TOKENS.get))}
    (out_dir / "special_tokens.json").write_text(json.dumps(special, indent=1))
    vocab_size = -(-(base + len(special)) // 64) * 64
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        intermediate_size=intermediate,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=max_positions,
        rope_theta=500_000.0,
        rms_norm_eps=1e-5,
        tie_word_embeddings=False,
        bos_token_id=special["<|begin_of_text|>"],
        eos_token_id=special["<|eot_id|>"],
        pad_token_id=special["<|finetune_right_pad_id|>"],
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    quiet_transformers()
    model.save_pretrained(out_dir, safe_serialization=True)
    (out_dir / DESCRIPTOR).write_text(
        json.dumps(
            {
                "family": "tiny-random",
                "model_id": f"techlead/tiny-llama3-{hidden}d{layers}l",
                "tokenizer": "original/tokenizer.model",
                "special_tokens": "special_tokens.json",
            },
            indent=1,
        )
    )
    return BaseModel(out_dir)


def public_corpus(limit: int = 1030) -> list[str]:
    """Text for the tiny tokenizer: the vendored crc-py comments and hunks (public, MIT) — never the
    repository being learned, just as Llama 3's tokenizer was not trained on it."""
    import gzip
    from importlib import resources

    raw = resources.files("techlead_pipeline.sample").joinpath("data/crc_py.json.gz").read_bytes()
    rows = json.loads(gzip.decompress(raw))[:limit]
    return [r["comment"] for r in rows] + [r["code"] for r in rows]
