"""Review latency, request to posted review, on the sample's sweep PR (47 hunks) against the
stand-in, for each backend that runs on a CPU (`local`: SmolLM2-135M with a LoRA trained here on the
sample lead, its CPU profile); and the prompts/tokens a GPU backend would see.

    .venv/bin/python benchmarks/review.py [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from techlead_pipeline.adapters.base_models import REGISTRY, resolve  # noqa: E402
from techlead_pipeline.adapters.bundle import build_bundle  # noqa: E402
from techlead_pipeline.adapters.store import AdapterStore  # noqa: E402
from techlead_pipeline.adapters.trainer import LoraSettings  # noqa: E402
from techlead_pipeline.common.partitions import reviewer_repo  # noqa: E402
from techlead_pipeline.common.settings import Settings  # noqa: E402
from techlead_pipeline.github_api.client import GitHubAccess, GitHubCredentials  # noqa: E402
from techlead_pipeline.github_api.token_vault import Secret  # noqa: E402
from techlead_pipeline.github_standin import GitHubStandin  # noqa: E402
from techlead_pipeline.reviews.hunks import prepare  # noqa: E402
from techlead_pipeline.reviews.pull_request import load_pull_request  # noqa: E402
from techlead_pipeline.reviews.service import make_backend, review_pull_request  # noqa: E402
from techlead_pipeline.sample.builder import BOT_LOGIN, LEAD, OWNER, REPO, build_sample  # noqa: E402
from techlead_pipeline.training_data.from_github import examples_from_github  # noqa: E402

SWEEP_PR = 52


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=float, default=0.0, help="latency injected per GitHub request")
    args = parser.parse_args()
    console = Console(width=150)
    target = reviewer_repo(LEAD, f"{OWNER}/{REPO}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        fixture = build_sample(tmp / "fixture")
        os.environ["TECHLEAD_HOME"] = str(tmp / "home")  # the vault that keys the retrieval index
        base = resolve("smollm2-135m-instruct", Path(".techlead"))
        with GitHubStandin(fixture) as standin:
            settings = Settings(
                github_api_url=standin.api_url, github_web_url=standin.url, seconds_between_writes=0, home=tmp / "home"
            )
            access = GitHubAccess(settings, GitHubCredentials(token=Secret(standin.token_for(BOT_LOGIN))), target.repo)
            examples, _ = examples_from_github(access, target, settings, tmp / "scratch")
            store = AdapterStore(settings.adapters_dir)
            bundle = build_bundle(
                store,
                target,
                examples.examples,
                "bench",
                base=base,
                lora=LoraSettings(**dict(REGISTRY["smollm2-135m-instruct"].cpu_lora)),
            )
            store.promote(target, bundle)
            if args.latency_ms:
                standin.faults.add(kind="latency", latency_ms=args.latency_ms, times=-1)
            pull = load_pull_request(access, target.repo, SWEEP_PR)
            hunks = prepare(pull.changes, pull.new_file_text).hunks
            for kind in ("retrieval", "local"):
                t = time.perf_counter()
                backend = make_backend(kind, target, bundle, settings.adapters_dir, base=base)
                if kind == "local":
                    backend._load()
                load_s = time.perf_counter() - t
                mark = len(standin.requests)
                outcome = review_pull_request(access, target, SWEEP_PR, backend, bundle, mention_id=f"bench-{kind}")
                api = sum(r["kind"] == "api" for r in standin.requests[mark:])
                rows.append((kind, outcome.hunks, len(outcome.comments), api, load_s, outcome.timings))
            local = make_backend("local", target, bundle, settings.adapters_dir, base=base)
            conversations = [c for c in (local.conversation(h.prompt(local._focus(h)), None) for h in hunks) if c]
            tokenizer = base.tokenizer()
            from torchtune.data import Message

            token_counts = [
                len(tokenizer.tokenize_messages([Message(m["role"], m["content"]) for m in c], add_end_tokens=False)[0])
                for c in conversations
            ]
            chars = [sum(len(m["content"]) for m in c) for c in conversations]
    table = Table(
        title=f"Reviewing PR #{SWEEP_PR} ({rows[0][1]} hunks) on the stand-in, CPU, "
        f"{args.latency_ms:.0f} ms GitHub latency"
    )
    for col in (
        "backend",
        "comments",
        "GitHub API calls",
        "backend load s",
        "fetch s",
        "prepare s",
        "model s",
        "post s",
        "request to posted review s",
    ):
        table.add_column(col, justify="right")
    for kind, _, comments, api, load_s, t in rows:
        table.add_row(
            kind,
            str(comments),
            str(api),
            f"{load_s:.2f}",
            f"{t['fetch_s']:.2f}",
            f"{t['prepare_s']:.2f}",
            f"{t['model_s']:.2f}",
            f"{t['post_s']:.2f}",
            f"{t['total_s']:.2f}",
        )
    console.print(table)
    console.print(
        f"The local backend sent {len(conversations)} prompts, fitted to the adapter's training budget of "
        f"{bundle.manifest['training']['max_seq_len']} tokens: {sum(chars):,} characters, median "
        f"{sorted(chars)[len(chars) // 2]:,} per prompt, {sum(token_counts):,} SmolLM2 tokens, up to "
        f"{local.max_new_tokens} new tokens each. A GPU backend (Llama 3 8B, 2,048-token budget) sees longer prompts."
    )


if __name__ == "__main__":
    main()
