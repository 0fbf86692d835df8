"""Which training recipe learns the lead, and how fast: each lever of issue 19 as one row, trained on
the sample lead's training split and judged on its validation split only (the held-out split is
removed before anything runs: adapters/recipe.py).

    .venv/bin/python benchmarks/recipe.py                    # every variant, validation loss + speed
    .venv/bin/python benchmarks/recipe.py --generate         # also what each would post on validation
    .venv/bin/python benchmarks/recipe.py --variants today,recipe

Rows: `today` (the CPU profile before issue 19: the newest 40 comments, one epoch, 10 steps),
`recipe` (the whole history in a token budget, early stopping on validation loss), `+short prompt`,
`+upper layers` (LoRA on the top layers only), `+bf16 base`, `+packed`, `+raft` (retrieval-augmented
fine-tuning). Each row prints tokens/s, steps, wall time, padding share and the validation loss it
stopped at. Run it alone: two torch processes on 2 cores slow each other ~30x.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from techlead_pipeline.adapters.base_models import REGISTRY, resolve  # noqa: E402
from techlead_pipeline.adapters.recipe import retrieval_validation_scores, score_candidate, variant  # noqa: E402
from techlead_pipeline.adapters.trainer import LoraSettings  # noqa: E402

console = Console(width=200)
# SmolLM2's CPU profile as it was before issue 19: the newest 40 comments and 40 silences, one epoch.
BEFORE_ISSUE_19 = dict(
    rank=16,
    alpha=32.0,
    dropout=0.0,
    apply_to_mlp=False,
    lr=1e-3,
    epochs=1,
    batch_size=8,
    grad_accum=1,
    max_seq_len=224,
    warmup_steps=3,
    max_train_comments=40,
    base_dtype="fp32",
)


def sample_examples(tmp: Path):
    """The sample lead's examples, through the real collection code against the stand-in."""
    from techlead_pipeline.common.partitions import reviewer_repo
    from techlead_pipeline.common.settings import Settings
    from techlead_pipeline.github_api.client import GitHubAccess, GitHubCredentials
    from techlead_pipeline.github_api.token_vault import Secret
    from techlead_pipeline.github_standin.server import GitHubStandin
    from techlead_pipeline.sample.builder import BOT_LOGIN, LEAD, OWNER, REPO, build_sample
    from techlead_pipeline.training_data.from_github import examples_from_github

    fixture = build_sample(tmp / "fixture")
    with GitHubStandin(fixture) as server:
        settings = Settings(
            github_api_url=server.api_url, github_web_url=server.url, seconds_between_writes=0, home=tmp / "home"
        )
        repo = f"{OWNER}/{REPO}"
        access = GitHubAccess(settings, GitHubCredentials(token=Secret(server.token_for(BOT_LOGIN))), repo)
        target = reviewer_repo(LEAD, repo)
        examples, _ = examples_from_github(access, target, settings, tmp / "scratch")
    return examples.examples, target


def variants(profile: LoraSettings, before: LoraSettings) -> dict[str, LoraSettings]:
    recipe = variant(before, max_train_comments=None, **_recipe_changes(profile))
    short = variant(recipe, prompt_style="short")
    upper = variant(short, lora_layers=profile.lora_layers or 10)
    bf16 = variant(upper, base_dtype="auto")
    return {
        "today": before,
        "recipe": recipe,
        "+short prompt": short,
        "+upper layers": upper,
        "+bf16 base": bf16,
        "+packed": variant(bf16, packed=True),
        "+raft": variant(bf16, rag_share=0.5),
        "profile": profile,
    }


def _parse_changes(text: str) -> dict:
    from dataclasses import fields

    from techlead_pipeline.defs.resources import _parse_env

    defaults = {f.name: f.default for f in fields(LoraSettings)}
    out = {}
    for item in filter(None, text.split(",")):
        key, _, value = item.partition("=")
        out[key] = _parse_env(key, defaults[key], value)
    return out


def _recipe_changes(profile: LoraSettings) -> dict:
    keys = ("lr", "epochs", "eval_every", "patience", "max_train_tokens", "warmup_steps", "rank", "alpha")
    return {k: getattr(profile, k) for k in keys} | {"base_dtype": "fp32", "prompt_style": "full"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", default="", help="comma-separated names (default: all)")
    parser.add_argument("--generate", action="store_true", help="also score what each would post on validation")
    parser.add_argument("--epochs", type=int, default=0, help="override every variant's epochs (speed runs)")
    parser.add_argument(
        "--try",
        dest="tries",
        action="append",
        default=[],
        metavar="NAME:KEY=VALUE,...",
        help="one more variant: the CPU profile with these settings changed (e.g. wide:lora_layers=none)",
    )
    parser.add_argument("--out", type=Path, default=Path(".techlead/recipe.json"))
    args = parser.parse_args()
    spec = REGISTRY["smollm2-135m-instruct"]
    profile = LoraSettings(**dict(spec.cpu_lora))
    before = LoraSettings(**BEFORE_ISSUE_19)
    base = resolve(spec.name, Path(".techlead"))
    chosen = variants(profile, before)
    if args.variants or args.tries:
        chosen = {k: v for k, v in chosen.items() if k in args.variants.split(",")}
    for spec_text in args.tries:
        name, _, changes = spec_text.partition(":")
        chosen[name] = variant(profile, **_parse_changes(changes))
    if args.epochs:
        chosen = {k: variant(v, epochs=args.epochs) for k, v in chosen.items()}
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        examples, target = sample_examples(Path(tmp))
        console.print(f"sample examples built in {time.perf_counter() - t:.0f}s")
        if args.generate:
            rouge, when = retrieval_validation_scores(examples)
            console.print(f"retrieval on the validation split: posted ROUGE-L {rouge}, when F1 {when}")
        rows = []
        for name, settings in chosen.items():
            score = score_candidate(name, examples, target, base, settings, generate=args.generate)
            rows.append(score)
            console.print(
                f"{name}: {score.tokens_per_second:.0f} tok/s, {score.steps} steps (best {score.best_step}), "
                f"{score.seconds:.0f}s, val loss {score.validation_loss}, padding {score.padding_share:.1%}"
                + (f", posted ROUGE-L {score.posted_rouge_l}, when F1 {score.when_f1}" if args.generate else "")
            )
    table = Table(title="Training recipes on the sample lead (validation split only)")
    for col in ("lever", "tokens/s", "steps", "best step", "tokens", "wall s", "padding", "val loss"):
        table.add_column(col, justify="left" if col == "lever" else "right")
    if args.generate:
        table.add_column("val ROUGE-L posted", justify="right")
        table.add_column("val when F1", justify="right")
    for r in rows:
        cells = [r.name, f"{r.tokens_per_second:.0f}", str(r.steps), str(r.best_step), f"{r.tokens:,}"]
        cells += [f"{r.seconds:.0f}", f"{r.padding_share:.1%}", f"{r.validation_loss:.3f}"]
        if args.generate:
            cells += [f"{r.posted_rouge_l:.3f}", f"{r.when_f1:.2f}" if r.when_f1 is not None else "—"]
        table.add_row(*cells)
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps([r.as_dict() for r in rows], indent=1))


if __name__ == "__main__":
    main()
