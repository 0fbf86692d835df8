"""The crc-py study's results (the JSON `benchmarks/quality.py` writes) as the markdown tables of
docs/evaluation.md and the README: nothing typed by hand between a run and the page.

    .venv/bin/python benchmarks/quality_report.py .techlead/quality.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from techlead_pipeline.evaluation.quality import fmt  # noqa: E402

COLUMNS = (
    ("ROUGE-L", "rouge", 3),
    ("semantic", "semantic", 3),
    ("BLEU-4", "bleu4", 2),
    ("voice", "voice", 2),
    ("ROUGE-L posted", "posted_rouge", 3),
    ("semantic posted", "posted_semantic", 3),
)


def systems_table(summaries: dict, weighting: str) -> str:
    head = ["system", *(name for name, _, _ in COLUMNS), "silent"]
    rows = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    for name, s in summaries.items():
        cells = [fmt(tuple(s[key][weighting]), digits) for _, key, digits in COLUMNS]
        rows.append(f"| {name} | " + " | ".join(cells) + f" | {s['silent']:.2f} |")
    return "\n".join(rows)


def differences_table(diffs: dict) -> str:
    rows = [
        "| difference (learned − baseline), as posted | repo-mean [95 % CI] | held-out-weighted [95 % CI] "
        "| repo-mean interval above 0? |",
        "| --- | ---: | ---: | --- |",
    ]
    for name, value in diffs.items():
        mean, low, high = value["repo_mean"]
        verdict = "—" if math.isnan(mean) else ("**yes**" if low > 0 else ("below" if high < 0 else "no"))
        both = f"{fmt(tuple(value['repo_mean']), 3)} | {fmt(tuple(value['weighted']), 3)}"
        rows.append(f"| {name} | {both} | {verdict} |")
    return "\n".join(rows)


def report(data: dict) -> str:
    cost = data["cost"]
    starts = [x["start"] for x in data["losses"] if x["start"] is not None]
    bests = [x["best"] for x in data["losses"] if x["best"] is not None]
    tokens_per_s = cost["train_tokens"] / max(cost["train_loop_seconds"], 1e-9)
    parts = [
        f"{len(data['repositories'])} repositories, {data['folds']} time cut-offs each, "
        f"{data['held_out']} held-out comments, {len(data['losses'])} adapters. Repo-mean (each repository "
        "counts once, intervals resample repositories and their comments):",
        systems_table(data["all"], "repo_mean"),
        "Held-out-weighted (every held-out comment counts once; pooled):",
        systems_table(data["all"], "weighted"),
        "Without the review bots' templates (repo-mean):",
        systems_table(data["without_templates"], "repo_mean"),
        "Paired differences, scored on the same held-out comments (posted: a silence scores 0):",
        differences_table(data["differences"]),
        f"Validation loss, mean over folds: base {sum(starts) / len(starts):.3f} → LoRA {sum(bests) / len(bests):.3f}. "
        f"Training {tokens_per_s:.0f} tokens/s ({cost['train_seconds']:.0f} s for {len(data['losses'])} adapters); "
        f"generation and scoring {cost['generation_seconds']:.0f} s; peak RSS {data['peak_rss_gb']:.2f} GB.",
    ]
    return "\n\n".join(parts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, nargs="?", default=Path(".techlead/quality.json"))
    args = parser.parse_args()
    print(report(json.loads(args.results.read_text())), end="")


if __name__ == "__main__":
    main()
