"""Does the bot learn from the lead's reactions? A scripted lead reacts to the bot's comments by rules
of her own, the bot retrains once, and the same pull requests are reviewed again.

The scripted lead never comments on `billing_core/reports.py` (generated code, she says): she 👎
every comment of the bot's there. Everywhere else she 👍 the comments that say one of her habits
(a comment of hers on the same kind of code) and leaves the rest alone. Another collaborator 👍
everything, which must change nothing (reactions count for the lead only).

Printed, before and after one retrain: how many comments each review would post, the share she
would 👎, her approval (👍 / (👍 + 👎)) by her rules, and the API calls reading the feedback took
(counted by the stand-in: the comments and replies come on the pages collection reads anyway; who
reacted costs one request per comment that has a 👍 or 👎).

    .venv/bin/python benchmarks/feedback.py [--trainer torchtune|none]   # none: retrieval only

Run it alone (two trainings of SmolLM2 on the CPU).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from github import Auth, Github  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from techlead_pipeline.adapters.base_models import REGISTRY, resolve  # noqa: E402
from techlead_pipeline.adapters.bundle import build_bundle  # noqa: E402
from techlead_pipeline.adapters.store import AdapterStore  # noqa: E402
from techlead_pipeline.adapters.trainer import LoraSettings  # noqa: E402
from techlead_pipeline.common.partitions import reviewer_repo  # noqa: E402
from techlead_pipeline.common.settings import Settings  # noqa: E402
from techlead_pipeline.evaluation.run import evaluate_and_gate  # noqa: E402
from techlead_pipeline.github_api.client import GitHubAccess, GitHubCredentials  # noqa: E402
from techlead_pipeline.github_api.token_vault import Secret  # noqa: E402
from techlead_pipeline.github_standin import GitHubStandin  # noqa: E402
from techlead_pipeline.reviews.markers import without_markers  # noqa: E402
from techlead_pipeline.reviews.service import make_backend, review_pull_request  # noqa: E402
from techlead_pipeline.sample.builder import BOT_LOGIN, LEAD, OWNER, REPO, build_sample  # noqa: E402
from techlead_pipeline.training_data.from_github import examples_from_github  # noqa: E402

PULLS = (51, 52)
NEVER = "billing_core/reports.py"
console = Console(width=150)


def her_verdict(comment_path: str, body: str, habits: set[str]) -> str | None:
    if comment_path == NEVER:
        return "-1"
    return "+1" if body in habits else None


def train(store, target, examples, run_id: str, base, lora):
    """As the pipeline trains: a bundle, then the evaluation and its gate decide what serves."""
    bundle = build_bundle(store, target, examples.examples, run_id, base=base, lora=lora)
    evaluate_and_gate(store, target, bundle, examples.examples, "posted_rouge_l", base=base, semantic=False)
    return store.current(target)


def measure(access, target, bundle, settings, habits: set[str], label: str) -> dict:
    """What each review would post now (dry runs), judged by her rules."""
    backend = make_backend("auto", target, bundle, settings.adapters_dir, base=BASE)
    drafts = []
    for number in PULLS:
        outcome = review_pull_request(
            access, target, number, backend, bundle, mention_id=f"{label}-{number}", post=False, full=True
        )
        chosen = outcome.selection  # every draft, whether or not it was said before: what the model would say
        drafts += chosen.posted + chosen.said_before + chosen.open_threads + chosen.held_back
    verdicts = [her_verdict(d.anchor.path, d.body, habits) for d in drafts]
    up, down = verdicts.count("+1"), verdicts.count("-1")
    return {
        "comments": len(drafts),
        "thumbs_down_share": round(down / len(drafts), 3) if drafts else 0.0,
        "approval": round(up / (up + down), 3) if up + down else None,
        "on_never_file": sum(1 for d in drafts if d.anchor.path == NEVER),
    }


BASE = None


def main() -> None:
    global BASE
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trainer", choices=("none", "torchtune"), default="torchtune")
    args = parser.parse_args()
    started = time.perf_counter()
    target = reviewer_repo(LEAD, f"{OWNER}/{REPO}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        fixture = build_sample(tmp / "fixture")
        os.environ["TECHLEAD_HOME"] = str(tmp / "home")
        os.environ["TECHLEAD_MAX_COMMENTS"] = "100"  # measure every draft, not the capped review
        lora = None
        if args.trainer == "torchtune":
            BASE = resolve("smollm2-135m-instruct", Path(".techlead"))
            lora = LoraSettings(**dict(REGISTRY["smollm2-135m-instruct"].cpu_lora))
        with GitHubStandin(fixture) as standin:
            settings = Settings(
                github_api_url=standin.api_url, github_web_url=standin.url, seconds_between_writes=0, home=tmp / "home"
            )
            access = GitHubAccess(settings, GitHubCredentials(token=Secret(standin.token_for(BOT_LOGIN))), target.repo)
            store = AdapterStore(settings.adapters_dir)
            examples, _ = examples_from_github(access, target, settings, tmp / "scratch-1")
            habits = set(
                examples.examples[(examples.examples["role"] == "target") & (examples.examples["kind"] == "comment")][
                    "response"
                ]
            )
            bundle = train(store, target, examples, "before", BASE, lora)
            before = measure(access, target, bundle, settings, habits, "before")
            # The bot posts its review of both pull requests; the lead (and a colleague) react.
            backend = make_backend("auto", target, bundle, settings.adapters_dir, base=BASE)
            for number in PULLS:
                review_pull_request(access, target, number, backend, bundle, mention_id=f"posted-{number}")
            lead = Github(base_url=standin.api_url, auth=Auth.Token(standin.token_for(LEAD))).get_repo(target.repo)
            colleague = Github(base_url=standin.api_url, auth=Auth.Token(standin.token_for("tomas-b"))).get_repo(
                target.repo
            )
            reacted = 0
            for c in standin.fixture.repo(OWNER, REPO).review_comments:
                if c["user"] != BOT_LOGIN:
                    continue
                body = without_markers(c["body"])
                verdict = her_verdict(c["path"], body, habits)
                if verdict:
                    lead.get_pull(c["pull_number"]).get_review_comment(c["id"]).create_reaction(verdict)
                    reacted += 1
                colleague.get_pull(c["pull_number"]).get_review_comment(c["id"]).create_reaction("+1")
            mark = len(standin.requests)
            examples, history = examples_from_github(access, target, settings, tmp / "scratch-2")
            feedback_calls = sum(1 for r in standin.api_calls(mark) if "/reactions" in r["path"])
            bundle = train(store, target, examples, "after", BASE, lora)
            after = measure(access, target, bundle, settings, habits, "after")
    table = Table(
        title=f"One retrain on the lead's reactions ({args.trainer} trainer; she reacted to {reacted} comments)"
    )
    for col in ("", "comments the reviews would post", f"on {NEVER}", "share she would 👎", "her approval 👍/(👍+👎)"):
        table.add_column(col, justify="right" if col else "left")
    for name, m in (("before", before), ("after one retrain", after)):
        table.add_row(
            name, str(m["comments"]), str(m["on_never_file"]), f"{m['thumbs_down_share']:.1%}", str(m["approval"])
        )
    console.print(table)
    console.print(f"feedback read: {history.stats['feedback']}")
    console.print(
        f"API calls for who reacted: {feedback_calls} (one per bot comment with a 👍 or 👎; comments and replies "
        f"came on the pages collection reads anyway); feedback examples trained on: "
        f"{examples.counts()['feedback_examples']}; {time.perf_counter() - started:.0f}s"
    )


if __name__ == "__main__":
    main()
