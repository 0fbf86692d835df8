"""Does a learned reviewer write like the lead? Every system on crc-py's real review comments, with
enough held-out comments to tell systems apart: a rolling origin (several time cut-offs per
repository, each adapter trained only on what came before its cut-off) and paired bootstrap
intervals of each difference.

Systems, all asked with the same user prompt: zero-shot SmolLM2 (the adapter's own system prompt,
and the full instruction) · SmolLM2 LoRA (the CPU profile, trained with retrieval-augmented
examples) · LoRA + the lead's nearest past comments in the prompt (lora+rag) · LoRA judging the
lead's nearest past comments, writing its own below a threshold placed on validation (lora+rerank)
· retrieval · most frequent comment · another reviewer's nearest comment.

Per system: ROUGE-L, semantic similarity, BLEU-4 and voice, said and as posted, repo-mean and
held-out-weighted with bootstrap 95 % intervals, all comments and without bot templates; then the
paired differences (each learned system minus retrieval, minus zero-shot). Nothing is tuned on the
held-out comments: early stopping, the rerank threshold and every speak-or-not decision are placed
on each fold's validation split.

    .venv/bin/python benchmarks/quality.py [--folds 4] [--repos N] [--out results.json]

Run it with nothing else on the machine: two torch processes on 2 cores slow each other ~30x.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections import defaultdict
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
from techlead_pipeline.evaluation.quality import (  # noqa: E402
    RepoScores,
    fmt,
    paired_difference,
    rolling_splits,
    summarize,
    template_flags,
)
from techlead_pipeline.evaluation.run import RERANK_CANDIDATES, calibrate_rerank, calibrate_silence  # noqa: E402
from techlead_pipeline.evaluation.systems import EvalItem, GenerativeSystem, MostFrequentSystem, RetrievalSystem  # noqa: E402
from techlead_pipeline.evaluation.voice import VoiceClassifier  # noqa: E402
from techlead_pipeline.history.languages import language_for  # noqa: E402
from techlead_pipeline.reviews.backends.generative import Rerank  # noqa: E402
from techlead_pipeline.reviews.backends.local import LocalBackend  # noqa: E402
from techlead_pipeline.reviews.backends.retrieval import RetrievalBackend  # noqa: E402
from techlead_pipeline.reviews.backends.retrieval_index import RetrievalIndex  # noqa: E402
from techlead_pipeline.training_data.prompts import system_prompt, user_prompt  # noqa: E402
from techlead_pipeline.training_data.raft import with_earlier_comments  # noqa: E402

console = Console(width=220)
SYSTEMS = (
    "zero-shot (same prompt)",
    "zero-shot (full instruction)",
    "lora",
    "lora+rag",
    "lora+rerank",
    "retrieval",
    "most frequent comment",
    "another reviewer",
)
LEARNED = ("lora", "lora+rag", "lora+rerank")
BASELINES = ("retrieval", "zero-shot (same prompt)", "zero-shot (full instruction)")


def crc_frame() -> pd.DataFrame:
    """crc-py as examples in the product's own prompt format (its `code` is the diff hunk)."""
    frame = repository_examples(load_crc_py())
    pairs = zip(frame["path"], frame["prompt"])
    frame["prompt"] = [user_prompt(path, language_for(path), hunk, "", None, None) for path, hunk in pairs]
    frame["example_id"] = [f"{c}-{i}" for i, c in enumerate(frame["comment_id"])]
    frame["role"] = "target"
    return frame


def train_fold(target_rows: pd.DataFrame, repo: str, base, lora: LoraSettings, out: Path, cost: dict):
    """The adapter of one fold: as build_bundle trains it (RAFT share, early stopping on validation)."""
    train = target_rows[target_rows["split"] == "train"]
    validation = target_rows[target_rows["split"] == "validation"]
    system = system_prompt("lead", repo, lora.prompt_style)
    pool = train
    chosen = with_earlier_comments(
        training_selection(train, lora.max_train_comments).assign(system=system),
        pool,
        lora.rag_examples,
        lora.rag_share,
    )
    watched = with_earlier_comments(validation.assign(system=system), pool, lora.rag_examples, lora.rag_share)
    started = time.perf_counter()
    report = TorchtuneLoraTrainer(base, lora).train(chat_examples(chosen), [], out, validation=chat_examples(watched))
    cost["train_seconds"] += time.perf_counter() - started
    cost["train_tokens"] += report.tokens
    cost["train_loop_seconds"] += report.seconds
    return report


def fold_systems(frame, repo, base, lora, adapter, cost) -> tuple[dict, dict]:
    target = frame[frame["repo"] == repo]
    train, validation = target[target["split"] == "train"], target[target["split"] == "validation"]
    others = frame[(frame["repo"] != repo) & (frame["split"] == "train")]
    index = RetrievalIndex.build(list(train["key"]), index_entries(train))
    other_index = RetrievalIndex.build(list(others["key"]), index_entries(others))
    focus = RetrievalBackend(index)
    k = lora.rag_examples
    style, budget = lora.prompt_style, lora.max_seq_len

    def local(adapter_dir, examples=0, prompt_style=style):
        return LocalBackend(
            "lead", repo, base, adapter_dir, focus, examples=examples, prompt_tokens=budget, prompt_style=prompt_style
        )

    backends = {
        "zero-shot (same prompt)": local(None),
        "zero-shot (full instruction)": local(None, prompt_style="full"),
        "lora": local(adapter),
        "lora+rag": local(adapter, examples=k),
        "lora+rerank": local(adapter),
    }
    backends["lora+rerank"].rerank = Rerank(RERANK_CANDIDATES)
    systems, notes = {}, {}
    for name, backend in backends.items():
        backend.silence_threshold = calibrate_silence(backend, validation)
        if backend.rerank is not None:
            t = time.perf_counter()
            prior, min_score = calibrate_rerank(backend, validation)
            backend.rerank = Rerank(RERANK_CANDIDATES, float("inf") if min_score is None else min_score, prior)
            notes["rerank_min_score"] = (prior, min_score)
            cost["generation_seconds"] += time.perf_counter() - t
        systems[name] = GenerativeSystem(name, backend, index)
    systems["retrieval"] = RetrievalSystem("retrieval", index)
    systems["most frequent comment"] = MostFrequentSystem(list(train["response"]))
    systems["another reviewer"] = RetrievalSystem("another reviewer", other_index)
    return systems, {"backends": backends, **notes}


class RepoResult:
    """One system on one repository, every fold's held-out comments together."""

    def __init__(self):
        self.said, self.posted, self.refs, self.human, self.voice = [], [], [], [], []

    def scores(self, name: str, keep: list[bool]) -> RepoScores:
        s = [x for x, k in zip(self.said, keep) if k]
        p = [x for x, k in zip(self.posted, keep) if k]
        r = [x for x, k in zip(self.refs, keep) if k]
        out = RepoScores(name)
        if not r:
            return out
        out.rouge, out.semantic = rouge_l_items(s, r), semantic_items(s, r)
        out.posted_rouge, out.posted_semantic = rouge_l_items(p, r), semantic_items(p, r)
        out.silent = [not x.strip() for x in p]
        out.bleu4, out.posted_bleu4 = bleu4(s, r), bleu4(p, r)
        weights = [n for _, n in self.voice if n]
        out.voice = float(np.average([v for v, n in self.voice if n], weights=weights)) if weights else None
        return out


def run(frame: pd.DataFrame, repos: list[str], folds: int, base, lora: LoraSettings) -> dict:
    cost = dict(train_seconds=0.0, train_loop_seconds=0.0, train_tokens=0, generation_seconds=0.0, generated_tokens=0)
    results: dict[str, dict[str, RepoResult]] = {name: defaultdict(RepoResult) for name in SYSTEMS}
    losses, thresholds = [], []
    flags = {}
    for repo in repos:
        target = frame[frame["repo"] == repo]
        flags.update(zip(target["comment_id"], template_flags(list(target["response"]))))
    with tempfile.TemporaryDirectory() as tmp:
        for fold, split in rolling_splits(frame, folds):
            for repo in repos:
                target = split[split["repo"] == repo]
                holdout = target[target["split"] == "holdout"]
                if holdout.empty:
                    continue
                t = time.perf_counter()
                adapter = Path(tmp) / f"{repo.replace('/', '+')}-{fold}"
                report = train_fold(target, repo, base, lora, adapter, cost)
                systems, notes = fold_systems(split, repo, base, lora, adapter, cost)
                items = [EvalItem(r.key, "", r.prompt, r.response) for r in holdout.itertuples()]
                refs = list(holdout["response"])
                train = target[target["split"] == "train"]
                others = split[(split["repo"] != repo) & (split["split"] == "train")]
                voice = VoiceClassifier(list(train["response"]), list(others["response"]))
                for name, system in systems.items():
                    g = time.perf_counter()
                    said, posted = system.say(items), system.posted(items)
                    if name in notes["backends"]:
                        cost["generation_seconds"] += time.perf_counter() - g
                        cost["generated_tokens"] += notes["backends"][name].generated_tokens
                    r = results[name][repo]
                    r.said += said
                    r.posted += posted
                    r.refs += refs
                    r.human += [not flags.get(c, False) for c in holdout["comment_id"]]
                    r.voice.append(
                        (voice.score(said) if voice.available else None, len(said) if voice.available else 0)
                    )
                curve = report.validation_curve
                losses.append(
                    {
                        "repo": repo,
                        "fold": fold,
                        "start": curve[0][1] if curve else None,
                        "best": min((x for _, x in curve), default=None),
                    }
                )
                thresholds.append(notes.get("rerank_min_score"))
                console.print(
                    f"[fold {fold}] {repo}: {len(items)} held out, validation loss "
                    f"{losses[-1]['start']} -> {losses[-1]['best']} (best step {report.best_step}/{report.steps}), "
                    f"rerank threshold {thresholds[-1]}, {time.perf_counter() - t:.0f}s"
                )
    return {"results": results, "cost": cost, "losses": losses, "rerank_thresholds": thresholds}


def table(title: str, summaries: dict, weighting: str) -> Table:
    t = Table(title=title)
    for col in ("system", "ROUGE-L", "semantic", "BLEU-4", "voice", "ROUGE-L posted", "semantic posted", "silent"):
        t.add_column(col, justify="right" if col != "system" else "left")
    for name, s in summaries.items():
        t.add_row(
            name,
            fmt(s["rouge"][weighting], 3),
            fmt(s["semantic"][weighting], 3),
            fmt(s["bleu4"][weighting]),
            fmt(s["voice"][weighting]),
            fmt(s["posted_rouge"][weighting], 3),
            fmt(s["posted_semantic"][weighting], 3),
            f"{s['silent']:.2f}",
        )
    return t


def differences(per_repo: dict[str, dict[str, RepoScores]]) -> dict:
    """Each learned system minus each baseline, paired on the same held-out comments."""
    out = {}
    for learned in LEARNED:
        for baseline in BASELINES:
            for metric in ("posted_rouge", "posted_semantic"):
                a = {repo: getattr(s, metric) for repo, s in per_repo[learned].items()}
                b = {repo: getattr(s, metric) for repo, s in per_repo[baseline].items()}
                out[f"{learned} − {baseline}: {metric}"] = paired_difference(a, b)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=4, help="time cut-offs per repository")
    parser.add_argument("--repos", type=int, default=0, help="only the N largest repositories (0: all)")
    parser.add_argument("--out", type=Path, default=Path(".techlead/quality.json"))
    args = parser.parse_args()
    started = time.perf_counter()
    spec = REGISTRY["smollm2-135m-instruct"]
    base = resolve(spec.name, Path(".techlead"))
    lora = LoraSettings(**dict(spec.cpu_lora))
    frame = crc_frame()
    counts = frame.groupby("repo").size().sort_values(ascending=False)
    repos = [r for r, n in counts.items() if n >= MIN_COMMENTS][: args.repos or None]
    outcome = run(frame, repos, args.folds, base, lora)
    per_repo = {
        name: {repo: r.scores(name, [True] * len(r.refs)) for repo, r in rows.items()}
        for name, rows in outcome["results"].items()
    }
    human = {
        name: {repo: r.scores(name, r.human) for repo, r in rows.items()} for name, rows in outcome["results"].items()
    }
    all_summary = {name: summarize(list(rows.values())) for name, rows in per_repo.items()}
    human_summary = {name: summarize([s for s in rows.values() if s.rouge]) for name, rows in human.items()}
    held_out = sum(len(s.rouge) for s in per_repo["retrieval"].values())
    templates = held_out - sum(len(s.rouge) for s in human["retrieval"].values())
    title = f"crc-py, {len(repos)} repositories, {args.folds} cut-offs each, {held_out} held-out comments"
    console.print(table(f"{title}: repo-mean [95% CI]", all_summary, "repo_mean"))
    console.print(table("crc-py: held-out-weighted mean [95% CI]", all_summary, "weighted"))
    console.print(
        table(f"without bot templates ({templates} held-out templates removed): repo-mean", human_summary, "repo_mean")
    )
    diffs = differences(per_repo)
    d = Table(title="paired differences (learned − baseline), 95% bootstrap CI")
    for col in ("difference", "repo-mean", "held-out-weighted"):
        d.add_column(col, justify="left" if col == "difference" else "right")
    for name, value in diffs.items():
        d.add_row(name, fmt(value["repo_mean"], 3), fmt(value["weighted"], 3))
    console.print(d)
    cost = outcome["cost"]
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    starts = [x["start"] for x in outcome["losses"] if x["start"] is not None]
    bests = [x["best"] for x in outcome["losses"] if x["best"] is not None]
    console.print(
        f"validation loss (mean over folds): base {np.mean(starts):.3f} -> LoRA {np.mean(bests):.3f}\n"
        f"CPU: training {cost['train_tokens'] / max(cost['train_loop_seconds'], 1e-9):.0f} tokens/s "
        f"({cost['train_seconds']:.0f}s for {len(outcome['losses'])} adapters), generation and scoring "
        f"{cost['generation_seconds']:.0f}s ({cost['generated_tokens']} new tokens), peak RSS {rss_gb:.2f} GB; "
        f"whole run {time.perf_counter() - started:.0f}s"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "repositories": repos,
                "folds": args.folds,
                "held_out": held_out,
                "settings": lora.as_dict(),
                "all": all_summary,
                "without_templates": human_summary,
                "differences": diffs,
                "losses": outcome["losses"],
                "rerank_thresholds": outcome["rerank_thresholds"],
                "cost": cost,
                "peak_rss_gb": rss_gb,
            },
            indent=1,
            default=str,
        )
    )
    console.print(f"written to {args.out}")


if __name__ == "__main__":
    main()
