"""Does the bot learn from the lead's reactions? A scripted lead reacts to the bot's comments by rules
of her own, the bot retrains once, and the same pull requests are reviewed again.

The bot reviews the sweep, pull request #52. The scripted lead no longer wants comments on
`billing_core/reports.py` (it is generated now, she says; she did comment there in the past): she 👎
every comment of the bot's there. Everywhere else she 👍 the comments that say one of her habits
(a comment of hers on the same kind of code) and leaves the rest alone. Another collaborator 👍
everything, which must change nothing (reactions count for the lead only).

Measured on the pull request she reacted on, and on one she never saw the bot on: #51, to which a
colleague pushes new code in reports.py and in another file before anything starts (does the lesson
carry to code she never judged?).

Printed, before and after one retrain: how many comments each review would post, the share she
would 👎, her approval (👍 / (👍 + 👎)) by her rules, and the API calls reading the feedback took
(counted by the stand-in: the comments and replies come on the pages collection reads anyway; who
reacted costs one request per comment that has a 👍 or 👎).

    .venv/bin/python benchmarks/feedback.py [--trainer torchtune|none]   # none: retrieval only

Run it alone (two trainings of SmolLM2 on the CPU).
"""

from __future__ import annotations

import argparse
import base64
import os
import random
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
from techlead_pipeline.history.comments import collect_review_comments  # noqa: E402
from techlead_pipeline.history.feedback import ReactionMemo, gather_feedback  # noqa: E402
from techlead_pipeline.reviews.markers import without_markers  # noqa: E402
from techlead_pipeline.reviews.service import make_backend, review_pull_request  # noqa: E402
from techlead_pipeline.sample.builder import BOT_LOGIN, LEAD, OWNER, REPO, build_sample  # noqa: E402
from techlead_pipeline.sample.workspace import FunctionWriter  # noqa: E402
from techlead_pipeline.training_data.from_github import examples_from_github  # noqa: E402

PULLS = (52,)  # the sweep: the bot posts its review on it, and she reacts
# A pull request she never saw the bot on (nor commented on herself, so its hunks are no examples of
# hers either): new code is pushed to it first.
FRESH = 51
NEVER = "billing_core/reports.py"
FRESH_FILES = (NEVER, "billing_core/invoices.py")
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


def push_fresh_code(standin) -> None:
    """tomas-b pushes two new functions, with the smells she remarks on, to a pull request the bot has
    not reviewed: one in the file she will turn the bot down on, one elsewhere."""
    head = standin.fixture.repo(OWNER, REPO).pulls[FRESH]["head_sha"]
    gh = Github(base_url=standin.api_url, auth=Auth.Token(standin.token_for("tomas-b"))).get_repo(f"{OWNER}/{REPO}")
    files = {}
    for seed, path in enumerate(FRESH_FILES):
        current = base64.b64decode(gh.get_contents(path, ref=head).content).decode()
        lines, _ = FunctionWriter(random.Random(seed), None).function(["eq_none", "float_money", "debug_print"])
        files[path] = current.rstrip("\n") + "\n\n\n" + "\n".join(lines) + "\n"
    standin.push_to_pull(f"{OWNER}/{REPO}", FRESH, files, "more billing helpers")


def measure(access, target, bundle, settings, habits: set[str], label: str, pulls) -> dict:
    """What each review would post now (dry runs), judged by her rules."""
    backend = make_backend("auto", target, bundle, settings.adapters_dir, base=BASE)
    drafts, left_out = [], 0
    for number in pulls:
        outcome = review_pull_request(
            access, target, number, backend, bundle, mention_id=f"{label}-{number}", post=False, full=True
        )
        chosen = outcome.selection  # every draft, whether or not it was said before: what the model would say
        drafts += chosen.posted + chosen.said_before + chosen.open_threads + chosen.held_back
        left_out += len(chosen.turned_down)  # what her lessons (reviews/lessons.py) kept from being posted
    verdicts = [her_verdict(d.anchor.path, d.body, habits) for d in drafts]
    up, down = verdicts.count("+1"), verdicts.count("-1")
    return {
        "comments": len(drafts),
        "thumbs_down_share": round(down / len(drafts), 3) if drafts else 0.0,
        "approval": round(up / (up + down), 3) if up + down else None,
        "on_never_file": sum(1 for d in drafts if d.anchor.path == NEVER),
        "left_out_by_lessons": left_out,
    }


BASE = None
GROUPS = {
    f"#{PULLS[0]} (she reacted)": PULLS,
    f"#{FRESH} (fresh code)": (FRESH,),
}


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
            push_fresh_code(standin)
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
            before = {
                group: measure(access, target, bundle, settings, habits, f"before-{group}", pulls)
                for group, pulls in GROUPS.items()
            }
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
            after = {
                group: measure(access, target, bundle, settings, habits, f"after-{group}", pulls)
                for group, pulls in GROUPS.items()
            }
            lessons = bundle.manifest.get("lessons", {}).get("turned_down_files")
            # The next training, with no reaction since: who reacted is remembered, nothing is asked.
            mark = len(standin.requests)
            history_again = collect_review_comments(access, target, max_prs=settings.max_prs)
            memo = ReactionMemo.open(settings.reactions_dir / f"{target.key}.json")
            gather_feedback(
                access, target.repo, target.reviewer, history_again.bot_comments, history_again.comments, memo
            )
            calls_again = sum(1 for r in standin.api_calls(mark) if "/reactions" in r["path"])
    table = Table(
        title=f"One retrain on the lead's reactions ({args.trainer} trainer; she reacted to {reacted} comments)"
    )
    for col in (
        "pull requests",
        "",
        "comments the reviews would post",
        f"on {NEVER}",
        "share she would 👎",
        "her approval 👍/(👍+👎)",
        "left out by her lessons",
    ):
        table.add_column(col, justify="right" if col.startswith(("comm", "on", "share", "her", "left")) else "left")
    for group in GROUPS:
        for name, m in (("before", before[group]), ("after one retrain", after[group])):
            table.add_row(
                group,
                name,
                str(m["comments"]),
                str(m["on_never_file"]),
                f"{m['thumbs_down_share']:.1%}",
                str(m["approval"]),
                str(m["left_out_by_lessons"]),
            )
    console.print(table)
    console.print(f"lessons the retrain kept (files she turned the bot down on): {lessons}")
    console.print(f"feedback read: {history.stats['feedback']}")
    console.print(
        f"API calls for who reacted: {feedback_calls} (one per bot comment with a 👍 or 👎; comments and replies "
        f"came on the pages collection reads anyway); feedback examples trained on: "
        f"{examples.counts()['feedback_examples']}; {time.perf_counter() - started:.0f}s"
    )
    console.print(f"API calls for who reacted, read again with no new reaction: {calls_again}")


if __name__ == "__main__":
    main()
