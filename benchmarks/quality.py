"""Does a learned reviewer write like the lead? Every system on crc-py's real review comments (every
repository with at least 20, the same time split as `techlead eval --crc-py`) and on the sample:

  zero-shot SmolLM2 (style instruction only) · SmolLM2 + the lead's past comments in the prompt (rag)
  · SmolLM2 LoRA · SmolLM2 LoRA + past comments (lora+rag) · retrieval · most frequent comment
  · another reviewer's nearest comment

Per system: ROUGE-L, semantic similarity, BLEU-4 and voice, as said and as posted (silences
applied), repo-mean and held-out-weighted with bootstrap 95 % intervals, all comments and with bot
templates removed (evaluation/quality.py states the rule); held-out loss of the base model and of
the LoRA; CPU cost. Settings are the base model's CPU profile; the speak-or-not thresholds are
chosen on the validation split, never on the held-out one.

    .venv/bin/python benchmarks/quality.py [--repos N] [--out results.json]

Run it with nothing else on the machine: two torch processes on 2 cores slow each other ~30x.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from techlead_pipeline.adapters.base_models import REGISTRY, resolve  # noqa: E402
from techlead_pipeline.adapters.bundle import index_entries, training_selection  # noqa: E402
from techlead_pipeline.adapters.torchtune_trainer import TorchtuneLoraTrainer  # noqa: E402
from techlead_pipeline.adapters.trainer import LoraSettings, chat_examples  # noqa: E402
from techlead_pipeline.evaluation.crc_py import MIN_COMMENTS, load_crc_py, repository_examples  # noqa: E402
from techlead_pipeline.evaluation.metrics import bleu4, rouge_l_items, semantic_items  # noqa: E402
from techlead_pipeline.evaluation.quality import RepoScores, fmt, summarize, template_flags  # noqa: E402
from techlead_pipeline.evaluation.run import RAG_EXAMPLES, calibrate_silence  # noqa: E402
from techlead_pipeline.evaluation.systems import (  # noqa: E402
    EvalItem,
    GenerativeSystem,
    MostFrequentSystem,
    RetrievalSystem,
)
from techlead_pipeline.evaluation.voice import VoiceClassifier  # noqa: E402
from techlead_pipeline.history.languages import language_for  # noqa: E402
from techlead_pipeline.reviews.backends.local import LocalBackend  # noqa: E402
from techlead_pipeline.reviews.backends.retrieval import RetrievalBackend  # noqa: E402
from techlead_pipeline.reviews.backends.retrieval_index import RetrievalIndex  # noqa: E402
from techlead_pipeline.training_data.prompts import system_prompt, user_prompt  # noqa: E402

console = Console(width=200)
SYSTEMS = ("zero-shot", "rag", "lora", "lora+rag", "retrieval", "most frequent comment", "another reviewer")


def crc_frame() -> pd.DataFrame:
    """crc-py as examples in the product's own prompt format (its `code` is the diff hunk)."""
    frame = repository_examples(load_crc_py())
    pairs = zip(frame["path"], frame["prompt"])
    frame["prompt"] = [user_prompt(path, language_for(path), hunk, "", None, None) for path, hunk in pairs]
    frame["example_id"] = [f"{c}-{i}" for i, c in enumerate(frame["comment_id"])]
    return frame


def score(system, items: list[EvalItem], references: list[str]) -> tuple[list[str], list[str]]:
    return system.say(items), system.posted(items)


def repo_scores(name: str, said: list[str], posted: list[str], refs: list[str], voice, keep: list[bool]) -> RepoScores:
    s = [x for x, k in zip(said, keep) if k]
    p = [x for x, k in zip(posted, keep) if k]
    r = [x for x, k in zip(refs, keep) if k]
    out = RepoScores(name)
    if not r:
        return out
    out.rouge, out.semantic = rouge_l_items(s, r), semantic_items(s, r)
    out.posted_rouge, out.posted_semantic = rouge_l_items(p, r), semantic_items(p, r)
    out.silent = [not x.strip() for x in p]
    out.bleu4, out.posted_bleu4 = bleu4(s, r), bleu4(p, r)
    out.voice = voice.score(s) if voice.available else None
    return out


def evaluate_repo(frame: pd.DataFrame, repo: str, base, lora: LoraSettings, scratch: Path, cost: dict) -> dict:
    """Every system on one repository: {system: (all comments, templates removed)} RepoScores, and losses."""
    target = frame[frame["repo"] == repo]
    others = frame[(frame["repo"] != repo) & (frame["split"] == "train")]
    train, validation = target[target["split"] == "train"], target[target["split"] == "validation"]
    holdout = target[target["split"] == "holdout"]
    train = train.assign(role="target", system=system_prompt("lead", repo))
    validation = validation.assign(role="target", system=system_prompt("lead", repo))
    index = RetrievalIndex.build(list(train["key"]), index_entries(train))
    other_index = RetrievalIndex.build(list(others["key"]), index_entries(others))
    items = [EvalItem(r.key, system_prompt("lead", repo), r.prompt, r.response) for r in holdout.itertuples()]
    refs = list(holdout["response"])
    flags = dict(zip(target["comment_id"], template_flags(list(target["response"]))))
    human = [not flags[c] for c in holdout["comment_id"]]
    voice = VoiceClassifier(list(train["response"]), list(others["response"]))

    adapter = scratch / repo.replace("/", "+")
    trainer = TorchtuneLoraTrainer(base, lora)
    chosen = training_selection(train.assign(kind="comment"), lora.max_train_comments)
    started = time.perf_counter()
    report = trainer.train(chat_examples(chosen), chat_examples(holdout.assign(system=items[0].system)), adapter)
    cost["train_seconds"] += time.perf_counter() - started
    cost["train_tokens"] += report.tokens
    cost["train_loop_seconds"] += report.seconds
    del trainer

    focus = RetrievalBackend(index)
    backends = {
        "zero-shot": LocalBackend("lead", repo, base, None, focus, prompt_tokens=lora.max_seq_len),
        "rag": LocalBackend("lead", repo, base, None, focus, examples=RAG_EXAMPLES, prompt_tokens=lora.max_seq_len),
        "lora": LocalBackend("lead", repo, base, adapter, focus, prompt_tokens=lora.max_seq_len),
        "lora+rag": LocalBackend(
            "lead", repo, base, adapter, focus, examples=RAG_EXAMPLES, prompt_tokens=lora.max_seq_len
        ),
    }
    systems = {}
    for name, backend in backends.items():
        backend.silence_threshold = calibrate_silence(backend, validation.assign(kind="comment"))
        systems[name] = GenerativeSystem(name, backend, index)
    systems["retrieval"] = RetrievalSystem("retrieval", index)
    systems["most frequent comment"] = MostFrequentSystem(list(train["response"]))
    systems["another reviewer"] = RetrievalSystem("another reviewer", other_index)
    out = {}
    for name, system in systems.items():
        t = time.perf_counter()
        said, posted = score(system, items, refs)
        if name in backends:
            cost["generation_seconds"] += time.perf_counter() - t
            cost["generated_tokens"] += backends[name].generated_tokens
        out[name] = (
            repo_scores(repo, said, posted, refs, voice, [True] * len(refs)),
            repo_scores(repo, said, posted, refs, voice, human),
        )
    losses = {"base": report.eval_loss_before, "lora": report.eval_loss_after}
    return {"scores": out, "losses": losses, "held_out": len(refs), "templates_held_out": len(refs) - sum(human)}


def table(title: str, summaries: dict, weighting: str) -> Table:
    t = Table(title=title)
    for col in ("system", "ROUGE-L", "semantic", "BLEU-4", "voice", "ROUGE-L posted", "semantic posted", "silent"):
        t.add_column(col, justify="right" if col != "system" else "left")
    for name, s in summaries.items():
        bleu = fmt(s["bleu4"][weighting])
        voice = fmt(s["voice"][weighting])
        t.add_row(
            name,
            fmt(s["rouge"][weighting], 3),
            fmt(s["semantic"][weighting], 3),
            bleu,
            voice,
            fmt(s["posted_rouge"][weighting], 3),
            fmt(s["posted_semantic"][weighting], 3),
            f"{s['silent']:.2f}",
        )
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=int, default=0, help="only the N largest repositories (0: all)")
    parser.add_argument("--out", type=Path, default=Path(".techlead/quality.json"))
    args = parser.parse_args()
    started = time.perf_counter()
    base = resolve("smollm2-135m-instruct", Path(".techlead"))
    lora = LoraSettings(**dict(REGISTRY["smollm2-135m-instruct"].cpu_lora))
    frame = crc_frame()
    counts = frame.groupby("repo").size().sort_values(ascending=False)
    repos = [r for r, n in counts.items() if n >= MIN_COMMENTS][: args.repos or None]
    cost = dict(train_seconds=0.0, train_loop_seconds=0.0, train_tokens=0, generation_seconds=0.0, generated_tokens=0)
    per_repo: dict[str, list] = {name: [] for name in SYSTEMS}
    no_templates: dict[str, list] = {name: [] for name in SYSTEMS}
    losses, template_counts = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, repo in enumerate(repos, 1):
            t = time.perf_counter()
            result = evaluate_repo(frame, repo, base, lora, Path(tmp), cost)
            for name, (everything, human) in result["scores"].items():
                per_repo[name].append(everything)
                if human.rouge:
                    no_templates[name].append(human)
            losses.append(result["losses"])
            template_counts += result["templates_held_out"]
            console.print(
                f"[{i}/{len(repos)}] {repo}: {result['held_out']} held out ({result['templates_held_out']} templates), "
                f"loss {result['losses']['base']:.2f} -> {result['losses']['lora']:.2f}, {time.perf_counter() - t:.0f}s"
            )
    all_summary = {name: summarize(rows) for name, rows in per_repo.items()}
    human_summary = {name: summarize(rows) for name, rows in no_templates.items()}
    held_out = sum(len(r.rouge) for r in per_repo["retrieval"])
    console.print(
        table(
            f"crc-py, {len(repos)} repositories, {held_out} held-out comments: repo-mean [95% CI]",
            all_summary,
            "repo_mean",
        )
    )
    console.print(table("crc-py: held-out-weighted mean [95% CI]", all_summary, "weighted"))
    console.print(
        table(
            f"crc-py without bot templates ({template_counts} held-out templates removed): repo-mean",
            human_summary,
            "repo_mean",
        )
    )
    console.print(table("crc-py without bot templates: held-out-weighted mean", human_summary, "weighted"))
    loss_base = float(np.mean([x["base"] for x in losses]))
    loss_lora = float(np.mean([x["lora"] for x in losses]))
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    console.print(
        f"held-out loss (repo-mean): base {loss_base:.3f} -> LoRA {loss_lora:.3f}\n"
        f"CPU: training {cost['train_tokens'] / max(cost['train_loop_seconds'], 1e-9):.0f} tokens/s "
        f"({cost['train_seconds']:.0f}s for {len(repos)} adapters, {cost['train_seconds'] / max(len(repos), 1):.0f}s "
        f"each), generation {cost['generated_tokens'] / max(cost['generation_seconds'], 1e-9):.1f} new tokens/s, "
        f"peak RSS {rss_gb:.2f} GB; whole run {time.perf_counter() - started:.0f}s"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "repositories": repos,
                "all": all_summary,
                "without_templates": human_summary,
                "losses": losses,
                "cost": cost,
                "peak_rss_gb": rss_gb,
                "per_repo": {n: [asdict(r) for r in rows] for n, rows in per_repo.items()},
                "per_repo_without_templates": {n: [asdict(r) for r in rows] for n, rows in no_templates.items()},
            },
            indent=1,
            default=str,
        )
    )
    console.print(f"written to {args.out}")


if __name__ == "__main__":
    main()
