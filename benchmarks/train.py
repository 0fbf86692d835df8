"""Training throughput: tokens/s, wall time and peak memory of torchtune LoRA steps.

    .venv/bin/python benchmarks/train.py                       # SmolLM2-135M on this CPU (its CPU profile)
    .venv/bin/python benchmarks/train.py --base-model tiny-random    # the random tiny model of the unit tests
    .venv/bin/python benchmarks/train.py --base-model DIR      # a real HF-format Llama 3 folder (GPU)
    .venv/bin/python benchmarks/train.py --random-llama3-8b    # Llama 3 8B shapes, random init, bf16 (GPU)

Examples are the bundled sample lead's review comments in the production prompt format (200 of
them by default), so token counts are realistic. Goals: a 200-comment reviewer in under 10 minutes
on 2 CPU cores; 3,000 comments in under 10 minutes on one H100 (projected from the throughput).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from techlead_pipeline.adapters.base_model import BaseModel  # noqa: E402
from techlead_pipeline.adapters.base_models import REGISTRY, resolve  # noqa: E402
from techlead_pipeline.adapters.torchtune_trainer import TorchtuneLoraTrainer  # noqa: E402
from techlead_pipeline.adapters.trainer import ChatExample, LoraSettings  # noqa: E402
from techlead_pipeline.sample.builder import LEAD, OWNER, REPO, build_sample  # noqa: E402
from techlead_pipeline.training_data.prompts import system_prompt, user_prompt  # noqa: E402


def sample_examples(tmp: Path) -> list[ChatExample]:
    fixture = build_sample(tmp / "fixture")
    comments = json.loads((fixture / "repos" / OWNER / REPO / "review_comments.json").read_text())
    out = []
    for c in comments:
        if c["user"] == LEAD and c["diff_hunk"] and not c["in_reply_to_id"]:
            code = "\n".join(line[1:] for line in c["diff_hunk"].split("\n")[1:])
            prompt = user_prompt(
                c["path"], "Python", c["diff_hunk"], code, c["original_line"] - code.count("\n"), c["original_line"]
            )
            out.append(ChatExample(system_prompt(LEAD, f"{OWNER}/{REPO}"), prompt, c["body"]))
    return out


def random_llama3_8b_step(steps: int, batch: int, seq: int) -> dict:
    """LoRA steps on Llama 3 8B shapes with random weights: throughput and memory, no checkpoint."""
    import torch
    from torchtune import training
    from torchtune.models.llama3 import lora_llama3_8b
    from torchtune.modules import TransformerSelfAttentionLayer
    from torchtune.modules.peft import get_adapter_params, set_trainable_params

    device = torch.device("cuda")
    with training.set_default_dtype(torch.bfloat16), device:
        model = lora_llama3_8b(
            lora_attn_modules=["q_proj", "k_proj", "v_proj", "output_proj"],
            apply_lora_to_mlp=True,
            lora_rank=16,
            lora_alpha=32,
        )
    set_trainable_params(model, get_adapter_params(model))
    training.set_activation_checkpointing(model, auto_wrap_policy={TransformerSelfAttentionLayer})
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-4)
    tokens = torch.randint(0, 128_000, (batch, seq), device=device)
    torch.cuda.reset_peak_memory_stats()
    for i in range(steps + 1):
        if i == 1:
            torch.cuda.synchronize()
            start = time.perf_counter()  # step 0 warms up
        logits = model(tokens)
        loss = torch.nn.functional.cross_entropy(
            logits[:, :-1].reshape(-1, logits.size(-1)).float(), tokens[:, 1:].reshape(-1)
        )
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    return {
        "device": torch.cuda.get_device_name(),
        "steps": steps,
        "batch": batch,
        "seq": seq,
        "tokens_per_second": round(steps * batch * seq / seconds, 1),
        "seconds": round(seconds, 2),
        "peak_memory_gb": round(torch.cuda.max_memory_allocated() / 2**30, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-model", default="smollm2-135m-instruct", help="a registry name or an HF-format folder")
    parser.add_argument("--random-llama3-8b", action="store_true")
    parser.add_argument("--comments", type=int, default=200, help="the sample lead's newest N comments")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seq", type=int, default=1024, help="sequence length for --random-llama3-8b")
    parser.add_argument("--steps", type=int, default=10, help="steps for --random-llama3-8b")
    args = parser.parse_args()
    if args.random_llama3_8b:
        r = random_llama3_8b_step(args.steps, args.batch_size, args.seq)
        print(json.dumps(r, indent=1))
        avg_tokens = 700  # a prompt/response pair in our format, measured on the sample
        print(f"projected: 3,000 comments x 1 epoch = {3000 * avg_tokens / r['tokens_per_second'] / 60:.1f} min")
        return
    import resource

    import torch

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        examples = sample_examples(tmp)[-args.comments :]
        if args.base_model in REGISTRY:
            base = resolve(args.base_model, Path(".techlead"))
        else:
            base = BaseModel(Path(args.base_model))
        profile = {} if torch.cuda.is_available() else dict(base.spec.cpu_lora)
        profile.update(epochs=args.epochs, max_train_comments=None)
        settings = LoraSettings(**profile)
        started = time.perf_counter()
        report = TorchtuneLoraTrainer(base, settings).train(examples, [], tmp / "adapter")
        wall = time.perf_counter() - started
    per_example = report.tokens / max(report.train_examples * report.epochs, 1)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        f"model            {base.model_id} ({report.total_params:,} parameters, {report.trainable_params:,} trainable)"
    )
    print(f"device / dtype   {report.device} / {report.dtype}")
    print(f"examples         {report.train_examples} x {report.epochs} epoch(s), {per_example:.0f} tokens each")
    print(f"settings         max_seq_len {settings.max_seq_len}, rank {settings.rank}, batch {settings.batch_size}")
    print(f"training steps   {report.steps} in {report.seconds:.2f}s (wall incl. model load {wall:.2f}s)")
    print(f"throughput       {report.tokens_per_second:,.0f} tokens/s (padded tokens through the model)")
    print(f"peak RSS         {rss:.2f} GB")
    if report.peak_memory_gb is not None:
        print(f"peak GPU memory  {report.peak_memory_gb} GB")
    print(f"projected        3,000 comments x 1 epoch = {3000 * per_example / report.tokens_per_second / 60:.1f} min")


if __name__ == "__main__":
    main()
