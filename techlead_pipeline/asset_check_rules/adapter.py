"""Rules for `reviewer_adapter`: the PEFT form vLLM's filesystem LoRA resolver loads. It loads an
adapter only if `adapter_config.json` says `peft_type` LORA and names the served model as
`base_model_name_or_path`, and refuses a rank above the server's `--max-lora-rank`; the weights must
be there, and be the ones the manifest's checksums describe."""

from __future__ import annotations

import json
from pathlib import Path

from ..adapters.store import AdapterBundle, verify_files
from . import Verdict

WEIGHTS = "adapter_model.safetensors"
CONFIG = "adapter_config.json"


def vllm_loadable(bundle: AdapterBundle, served_model: str, max_lora_rank: int) -> list[Verdict]:
    if not bundle.has_lora:  # a retrieval-only deployment (TECHLEAD_TRAINER=none): nothing for vLLM to load
        note = "no LoRA adapter in this version (retrieval only)"
        return [
            Verdict(name, True, note)
            for name in (
                "peft_lora",
                "rank_within_server_limit",
                "base_model_is_served_model",
                "weights_match_checksums",
            )
        ]
    config = json.loads((bundle.path / CONFIG).read_text())
    rank = int(config.get("r") or 0)
    base = config.get("base_model_name_or_path")
    listed = {k: v for k, v in (bundle.manifest.get("files") or {}).items() if Path(k).name in (WEIGHTS, CONFIG)}
    problems = verify_files(bundle.path, listed) if listed else [f"{WEIGHTS} is not listed in the manifest"]
    if not (bundle.path / WEIGHTS).exists():
        problems.insert(0, f"{WEIGHTS} is missing")
    return [
        Verdict(
            "peft_lora",
            config.get("peft_type") == "LORA",
            f"peft_type is {config.get('peft_type')!r}",
            {"peft_type": str(config.get("peft_type"))},
        ),
        Verdict(
            "rank_within_server_limit",
            0 < rank <= max_lora_rank,
            f"rank {rank}, the server's --max-lora-rank is {max_lora_rank}",
            {"r": rank, "max_lora_rank": max_lora_rank},
        ),
        Verdict(
            "base_model_is_served_model",
            base == served_model,
            f"trained on {base!r}; the deployment serves {served_model!r}",
            {"base_model_name_or_path": str(base), "served_model": served_model},
        ),
        Verdict(
            "weights_match_checksums",
            not problems,
            "; ".join(problems) if problems else f"{WEIGHTS} matches the manifest's sha256",
            {"problems": problems},
        ),
    ]
