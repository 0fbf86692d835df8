"""Reliability figures: faults injected against the stand-in, and a burst of mentions.

    .venv/bin/python benchmarks/faults.py            # both parts
    .venv/bin/python benchmarks/faults.py --faults   # part A only
    .venv/bin/python benchmarks/faults.py --load     # part B only

A. Each fault is injected into a real operation (collection or review posting) on the sample:
   faults fired, runs, reviews posted, duplicates (must be 0), data lost (must be 0).
B. 50 mentions arrive at once across 10 repositories; the real `dagster dev` (daemon, mention sensor,
   queued run coordinator with the tag limits of dagster.yaml) handles them. Reported: runs, reviews,
   duplicates, mentions left unanswered, the most runs (and training runs) at once, and the most
   content-creating requests GitHub saw in any 60 seconds (its secondary limit is 80).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from techlead_pipeline.adapters.bundle import build_bundle  # noqa: E402
from techlead_pipeline.adapters.store import AdapterStore  # noqa: E402
from techlead_pipeline.dev_server import dagster_dev  # noqa: E402
from techlead_pipeline.github_api.client import TOKEN_NAME, GitHubAccess, GitHubCredentials  # noqa: E402
from techlead_pipeline.github_api.token_vault import Secret, TokenVault  # noqa: E402
from techlead_pipeline.github_standin import GitHubStandin  # noqa: E402
from techlead_pipeline.history.comments import collect_review_comments  # noqa: E402
from techlead_pipeline.partitions import reviewer_repo  # noqa: E402
from techlead_pipeline.reviews.service import make_backend, review_pull_request  # noqa: E402
from techlead_pipeline.sample.builder import BOT_LOGIN, LEAD, OWNER, REPO, build_sample  # noqa: E402
from techlead_pipeline.sample.multi_repo import build_multi_repo_fixture  # noqa: E402
from techlead_pipeline.settings import Settings  # noqa: E402
from techlead_pipeline.signals import restore_interrupt_signals  # noqa: E402
from techlead_pipeline.training_data.from_github import examples_from_github  # noqa: E402

console = Console(width=150)
SAMPLE = f"{OWNER}/{REPO}"

COLLECTION_FAULTS = {
    "403 secondary limit, Retry-After": dict(kind="secondary_rate_limit", retry_after=1, times=3),
    "429 Too Many Requests": dict(kind="too_many_requests", retry_after=1, times=3),
    "502 burst": dict(kind="bad_gateway", times=5),
    "connection reset": dict(kind="reset", times=3),
    "reset mid-page (truncated body)": dict(kind="truncate", times=3),
    "latency spikes (2 s)": dict(kind="latency", latency_ms=2000, times=3),
}
POSTING_FAULTS = {
    "review POST answered 502 after GitHub posted": dict(kind="lost_response", times=1),
    "review POST 502 before posting": dict(kind="bad_gateway", times=2),
    "review POST secondary limit": dict(kind="secondary_rate_limit", retry_after=1, times=1),
    "GitHub refuses one review comment (422)": dict(kind="reject_comment", times=-1),
}


def settings_for(standin: GitHubStandin, home: Path) -> Settings:
    return Settings(
        github_api_url=standin.api_url,
        github_web_url=standin.url,
        seconds_between_writes=0,
        retry_backoff=0.1,
        secondary_rate_wait=1.0,
        home=home,
    )


def part_a(tmp: Path) -> Table:
    fixture = build_sample(tmp / "fixture")
    target = reviewer_repo(LEAD, SAMPLE)
    table = Table(title="A. Faults injected against the stand-in")
    for col in ("fault", "operation", "faults fired", "runs", "reviews posted", "duplicates", "data lost"):
        table.add_column(col, justify="right" if col not in ("fault", "operation") else "left")
    with GitHubStandin(fixture) as standin:
        settings = settings_for(standin, tmp / "home")
        access = GitHubAccess(settings, GitHubCredentials(token=Secret(standin.token_for(BOT_LOGIN))), SAMPLE)
        truth = collect_review_comments(access, target).comments
        for name, fault in COLLECTION_FAULTS.items():
            rule = standin.faults.add(path=r"/pulls/comments\?", **fault)
            got = collect_review_comments(access, target).comments
            standin.faults.clear()
            lost = len(set(truth["id"]) - set(got["id"]))
            doubled = len(got) - got["id"].nunique()
            table.add_row(name, "collect history", str(rule.fired), "1", "-", str(doubled), str(lost))
        examples, _ = examples_from_github(access, target, settings, tmp / "scratch")
        store = AdapterStore(settings.adapters_dir)
        bundle = build_bundle(store, target, examples.examples, "bench", base=None, lora=None)
        store.promote(target, bundle)
        backend = make_backend("retrieval", target, bundle, settings.adapters_dir)
        dry = review_pull_request(access, target, 51, backend, bundle, "dry", post=False)
        for i, (name, fault) in enumerate(POSTING_FAULTS.items()):
            before = len(standin.posted_reviews())
            extra = {"message": dry.comments[0].body} if fault["kind"] == "reject_comment" else {}
            rule = standin.faults.add(method="POST", path=r"/pulls/51/reviews", **fault, **extra)
            outcome = review_pull_request(access, target, 51, backend, bundle, f"bench-{i}")
            again = review_pull_request(access, target, 51, backend, bundle, f"bench-{i}")  # re-delivered
            standin.faults.clear()
            posted = standin.posted_reviews()[before:]
            lost = len(dry.comments) - len(outcome.posted.posted) - len(outcome.posted.rejected)
            table.add_row(
                name,
                "post review (+ re-delivery)",
                str(rule.fired),
                "2",
                str(len(posted)),
                str(len(posted) - 1 + (0 if again.posted.already_posted else 1)),
                str(lost),
            )
    return table


def _answered(standin: GitHubStandin) -> Counter:
    """Reviews posted per mention comment (each review's body names the mention that asked)."""
    return Counter(int(p["payload"]["body"].split("mention=")[1].split()[0]) for p in standin.posted_reviews())


def part_b(tmp: Path, repositories: int, per_repo: int, timeout_s: float) -> Table:
    import dagster as dg

    fixture = tmp / "fixture"
    names = build_multi_repo_fixture(fixture, repositories)
    home, dagster_home = tmp / "home", tmp / "dagster"
    dagster_home.mkdir(parents=True)
    shutil.copy(Path(__file__).resolve().parents[1] / "dagster.yaml", dagster_home / "dagster.yaml")
    people = ["tomas-b", "li-wei", "priya-r", "dev-jonah", LEAD]
    with GitHubStandin(fixture) as standin:
        env = dict(
            TECHLEAD_HOME=str(home),
            DAGSTER_HOME=str(dagster_home),
            TECHLEAD_GITHUB_API_URL=standin.api_url,
            TECHLEAD_GITHUB_WEB_URL=standin.url,
            TECHLEAD_REPOSITORIES=",".join(names),
            TECHLEAD_TRAINER="none",
            TECHLEAD_SEMANTIC_METRIC="0",
            TECHLEAD_SECONDS_BETWEEN_WRITES="0",
        )
        os.environ.update({k: env[k] for k in ("TECHLEAD_HOME", "DAGSTER_HOME")})
        TokenVault.open(home / "secrets").put(TOKEN_NAME, standin.token_for(BOT_LOGIN))
        mentions = []
        for repo in names:
            for k in range(per_repo):
                who = people[k % len(people)]
                mentions.append(standin.add_issue_comment(repo, 47 + k, who, f"@tech-lead-bot {LEAD}")["id"])
        started = time.time()
        peak, peak_train = 0, 0
        with open(tmp / "dagster-dev.log", "w") as log:
            try:
                with dagster_dev(env, output=log), dg.DagsterInstance.get() as instance:
                    while time.time() - started < timeout_s:
                        running = instance.get_runs(
                            filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING])
                        )
                        peak = max(peak, len(running))
                        peak_train = max(peak_train, sum(r.tags.get("techlead/gpu") == "train" for r in running))
                        if len(_answered(standin)) >= len(mentions) and not running:
                            break
                        time.sleep(0.5)
                    runs = instance.get_runs()
            finally:
                if debug_log := os.environ.get("TECHLEAD_BENCH_LOG"):
                    shutil.copy(tmp / "dagster-dev.log", debug_log)
        wall = time.time() - started
        per_mention = _answered(standin)
        writes = standin.writes_in_any_minute()
    table = Table(
        title=f"B. {len(mentions)} mentions at once across {repositories} repositories (dagster dev: "
        f"daemon, sensor, run queue)"
    )
    for col in (
        "mentions",
        "runs",
        "training runs",
        "reviews posted",
        "duplicates",
        "unanswered",
        "max runs at once",
        "max training runs at once",
        "max writes in 60 s (limit 80)",
        "wall s",
    ):
        table.add_column(col, justify="right")
    table.add_row(
        str(len(mentions)),
        str(len(runs)),
        str(sum(r.tags.get("techlead/gpu") == "train" for r in runs)),
        str(sum(per_mention.values())),
        str(sum(n - 1 for n in per_mention.values())),
        str(len(set(mentions) - set(per_mention))),
        str(peak),
        str(peak_train),
        str(writes),
        f"{wall:.0f}",
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--load", action="store_true")
    parser.add_argument("--repositories", type=int, default=10)
    parser.add_argument("--per-repo", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=1200)
    args = parser.parse_args()
    restore_interrupt_signals()  # so the `dagster dev` started by part B stops on SIGTERM
    both = not (args.faults or args.load)
    with tempfile.TemporaryDirectory() as tmp:
        if args.faults or both:
            console.print(part_a(Path(tmp) / "a"))
        if args.load or both:
            console.print(part_b(Path(tmp) / "b", args.repositories, args.per_repo, args.timeout))


if __name__ == "__main__":
    main()
