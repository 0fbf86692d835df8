"""Reliability figures: faults injected against the stand-in, and a burst of mentions.

    .venv/bin/python benchmarks/faults.py            # both parts
    .venv/bin/python benchmarks/faults.py --faults   # part A only
    .venv/bin/python benchmarks/faults.py --load     # part B only
    .venv/bin/python benchmarks/faults.py --webhooks # part C only
    .venv/bin/python benchmarks/faults.py --hostile  # part D only

A. Each fault is injected into a real operation (collection or review posting) on the sample:
   faults fired, runs, reviews posted, duplicates (must be 0), data lost (must be 0).
B. 50 mentions arrive at once across 10 repositories; the real `dagster dev` (daemon, mention sensor,
   queued run coordinator with the tag limits of dagster.yaml) handles them. Reported: runs, reviews,
   duplicates, mentions left unanswered, the most runs (and training runs) at once, and the most
   content-creating requests GitHub saw in any 60 seconds (its secondary limit is 80).
C. 200 webhook deliveries in a burst at `techlead webhook` (its own process): real mentions delivered
   by GitHub (the stand-in, as the App's webhooks), exact re-sends of the same delivery id, bad
   signatures and malformed JSON from other clients at the same time; the receiver is killed
   (SIGKILL) mid-burst and restarted, and GitHub-style redelivery of what failed recovers it.
   Reported: runs requested per mention (lost and duplicate must be 0), every bad signature answered
   401, and the receiver's p50/p99 response time.
D. Under `dagster dev`: 150 outsiders mention the bot at once, with reply markers forged in advance
   in a stranger's review and comments, beside one collaborator's mention; then the served adapter is
   damaged before a mention; then a run's worker is SIGKILLed after its git mirror's pack arrived.
   Reported per case: answered, duplicates, lost, unanswered (all but `answered` must be 0), and
   how long the answers took.
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
from techlead_pipeline.common.partitions import reviewer_repo  # noqa: E402
from techlead_pipeline.common.settings import Settings  # noqa: E402
from techlead_pipeline.common.signals import restore_interrupt_signals  # noqa: E402
from techlead_pipeline.defs.dev_server import dagster_dev  # noqa: E402
from techlead_pipeline.github_api.client import TOKEN_NAME, GitHubAccess, GitHubCredentials  # noqa: E402
from techlead_pipeline.github_api.token_vault import Secret, TokenVault  # noqa: E402
from techlead_pipeline.github_standin import GitHubStandin  # noqa: E402
from techlead_pipeline.history.comments import collect_review_comments  # noqa: E402
from techlead_pipeline.mentions.decide import ask_of, mention_name  # noqa: E402
from techlead_pipeline.mentions.parse import MentionCommand  # noqa: E402
from techlead_pipeline.reviews.service import make_backend, review_pull_request  # noqa: E402
from techlead_pipeline.sample.builder import BOT_LOGIN, LEAD, OWNER, REPO, build_sample  # noqa: E402
from techlead_pipeline.sample.multi_repo import build_multi_repo_fixture  # noqa: E402
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


def deployment_env(standin: GitHubStandin, home: Path, dagster_home: Path, **extra: str) -> dict[str, str]:
    """What a deployment started by a part is given: its homes, the stand-in as GitHub, and training
    without LoRA (these parts measure queueing, the sensor and GitHub's limits, not CPU training)."""
    return {
        "TECHLEAD_HOME": str(home),
        "DAGSTER_HOME": str(dagster_home),
        "TECHLEAD_GITHUB_API_URL": standin.api_url,
        "TECHLEAD_GITHUB_WEB_URL": standin.url,
        "TECHLEAD_TRAINER": "none",
        **extra,
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
    os.environ["TECHLEAD_HOME"] = str(tmp / "home")  # the vault that keys the retrieval index
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
            forget_bot_reviews(standin, 51)  # each row starts from a pull request the bot has not reviewed
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


def forget_bot_reviews(standin: GitHubStandin, number: int) -> None:
    """The pull request as it was before the bot reviewed it: without this, the no-repeat rule drops
    every comment of the second row on as already said, and the table counts them as lost."""
    state = standin.repo_state(SAMPLE)
    with standin.fixture.lock:
        state.reviews[:] = [
            r for r in state.reviews if not (r["pull_number"] == number and r["user"].lower() == BOT_LOGIN)
        ]
        state.review_comments[:] = [
            c for c in state.review_comments if not (c["pull_number"] == number and c["user"].lower() == BOT_LOGIN)
        ]


def _answered(standin: GitHubStandin) -> Counter:
    """Reviews posted per mention comment (each review's body names the mention that asked)."""
    return Counter(_comment_of(p["payload"]["body"]) for p in standin.posted_reviews())


def _comment_of(body: str) -> int:
    """The comment id in a marker's mention name (`<id>.<ask hash>`, decide.mention_name)."""
    return int(body.split("mention=")[1].split()[0].split(".")[0])


def part_b(tmp: Path, repositories: int, per_repo: int, timeout_s: float) -> Table:
    import dagster as dg

    fixture = tmp / "fixture"
    names = build_multi_repo_fixture(fixture, repositories)
    home, dagster_home = tmp / "home", tmp / "dagster"
    dagster_home.mkdir(parents=True)
    shutil.copy(Path(__file__).resolve().parents[1] / "dagster.yaml", dagster_home / "dagster.yaml")
    people = ["tomas-b", "li-wei", "priya-r", "dev-jonah", LEAD]
    with GitHubStandin(fixture) as standin:
        env = deployment_env(
            standin,
            home,
            dagster_home,
            TECHLEAD_REPOSITORIES=",".join(names),
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


def part_c(tmp: Path, mentions: int = 100, resends: int = 40, bad: int = 40, malformed: int = 20) -> Table:
    import json
    import signal
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    import dagster as dg
    import requests

    from techlead_pipeline.defs.dev_server import free_port
    from techlead_pipeline.defs.runner import tick_sensor
    from techlead_pipeline.github_api.client import APP_ID_NAME, APP_KEY_NAME
    from techlead_pipeline.sample.builder import APP_ID, app_private_key_pem
    from techlead_pipeline.webhooks.signature import sign
    from techlead_pipeline.webhooks.store import DeliveryStore

    fixture = build_sample(tmp / "fixture")
    home, dagster_home = tmp / "home", tmp / "dagster"
    dagster_home.mkdir(parents=True)
    secret = "bench-secret"
    target = reviewer_repo(LEAD, SAMPLE)
    people = ["tomas-b", "li-wei", "priya-r", "dev-jonah"]
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhook"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TECHLEAD_", "DAGSTER_"))}
    with GitHubStandin(fixture, validate_contract=False) as standin:
        env.update(
            deployment_env(
                standin,
                home,
                dagster_home,
                TECHLEAD_WEBHOOK_SECRET=secret,
                TECHLEAD_SECONDS_BETWEEN_WRITES="0",
                TECHLEAD_REDELIVERY_GRACE_S="0",
                TECHLEAD_REDELIVERY_CHECK_S="0",
            )
        )
        os.environ.update({k: v for k, v in env.items() if k.startswith(("TECHLEAD_", "DAGSTER_"))})
        os.environ.pop("TECHLEAD_REPOSITORIES", None)
        vault = TokenVault.open(home / "secrets")
        vault.put(APP_ID_NAME, str(APP_ID))
        vault.put(APP_KEY_NAME, app_private_key_pem().decode())
        settings = settings_for(standin, home)
        token_access = GitHubAccess(settings, GitHubCredentials(token=Secret(standin.token_for(BOT_LOGIN))), SAMPLE)
        examples, _ = examples_from_github(token_access, target, settings, tmp / "scratch")
        store = AdapterStore(settings.adapters_dir)
        store.promote(target, build_bundle(store, target, examples.examples, "bench", base=None, lora=None))
        # an adapter is cached, so each mention asks for exactly one review run

        def receiver() -> subprocess.Popen:
            proc = subprocess.Popen(
                [sys.executable, "-m", "techlead_pipeline.cli", "webhook", "--port", str(port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            deadline = time.time() + 30
            while time.time() < deadline:
                try:
                    if requests.get(url.replace("/webhook", "/healthz"), timeout=1).ok:
                        return proc
                except requests.RequestException:
                    time.sleep(0.1)
            raise RuntimeError("the webhook receiver did not start")

        proc = receiver()
        standin.configure_webhooks(url, secret)
        timings: list[float] = []
        statuses: Counter = Counter()
        junk_payload = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()

        def post(kind: str, i: int) -> None:
            body = junk_payload
            headers = {"X-GitHub-Event": "ping", "X-GitHub-Delivery": f"{kind}-{i}"}
            if kind == "bad-signature":
                headers["X-Hub-Signature-256"] = sign("not-the-secret", body)
            elif kind == "malformed":
                body = b'{"action": "created", "comment": {'
                headers["X-Hub-Signature-256"] = sign(secret, body)
            elif kind == "resend":
                headers["X-GitHub-Delivery"] = "resent-ping"
                headers["X-Hub-Signature-256"] = sign(secret, body)
            t = time.perf_counter()
            try:
                r = requests.post(url, data=body, headers=headers, timeout=10)
                timings.append(time.perf_counter() - t)
                statuses[(kind, r.status_code)] += 1
            except requests.RequestException:
                statuses[(kind, "refused")] += 1

        junk = ["bad-signature"] * bad + ["malformed"] * malformed + ["resend"] * resends
        asked: list[int] = []
        with ThreadPoolExecutor(max_workers=8) as pool:
            for half in (0, 1):  # each half of the burst while the receiver is up; it dies in between
                futures = [pool.submit(post, kind, i) for i, kind in enumerate(junk) if i % 2 == half]
                for k in range(half * mentions // 2, (half + 1) * mentions // 2):
                    who = people[k % len(people)]
                    body = f"@tech-lead-bot {LEAD}"
                    asked.append(standin.add_issue_comment(SAMPLE, 40 + k % 12, who, body)["id"])
                for f in futures:
                    f.result()
                if half == 0:  # killed while GitHub still has deliveries queued for it, then back
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                    time.sleep(0.5)
                    proc = receiver()
        standin.hooks.wait(60)
        failed = sum(1 for d in standin.hooks.log if d.status != "OK")
        inst = dg.DagsterInstance.get()
        run_keys: set[str] = set()
        cursor = None
        for _ in range(4):  # the sensor asks GitHub to redeliver what failed, then drains the store
            tick = tick_sensor("pr_mentions", cursor, inst, launch=False)
            cursor = tick.cursor
            standin.hooks.wait(60)
            run_keys.update(tick.requested_run_keys)  # a run key asked for again is skipped by Dagster
        guids = {d.guid for d in standin.hooks.log}
        redelivered = sum(1 for d in standin.hooks.log if d.redelivery)
        stored = len(DeliveryStore(inst).known(sorted(guids)))
        proc.terminate()
        proc.wait()
    per_mention = Counter({m: sum(1 for k in run_keys if k.startswith(f"mention-{m}.")) for m in asked})
    lat = sorted(timings + [d.duration for d in standin.hooks.log if d.status == "OK"])
    table = Table(title=f"C. {mentions + len(junk)} webhook deliveries in a burst, receiver killed mid-burst")
    for col in (
        "deliveries",
        "real mentions",
        "failed while down",
        "redelivered",
        "stored / sent",
        "runs requested",
        "lost",
        "duplicate runs",
        "bad signatures -> 401",
        "malformed -> 400",
        "p50 ms",
        "p99 ms",
    ):
        table.add_column(col, justify="right")
    table.add_row(
        str(mentions + len(junk)),
        str(mentions),
        str(failed),
        str(redelivered),
        f"{stored}/{len(guids)}",
        str(sum(per_mention.values())),
        str(sum(1 for n in per_mention.values() if n == 0)),
        str(sum(n - 1 for n in per_mention.values() if n > 1)),
        f"{statuses[('bad-signature', 401)]}/{bad}",
        f"{statuses[('malformed', 400)]}/{malformed}",
        f"{1000 * lat[len(lat) // 2]:.0f}",
        f"{1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))]:.0f}",
    )
    return table


def _replies_per_mention(standin: GitHubStandin) -> Counter:
    """The bot's issue comments per mention they answer (each names it in its marker)."""
    found = Counter()
    for p in standin.posted_issue_comments():
        body = p["comment"]["body"]
        if "mention=" in body:
            found[_comment_of(body)] += 1
    return found


def _wait(predicate, timeout_s: float, step: float = 0.5) -> float | None:
    started = time.time()
    while time.time() - started < timeout_s:
        if predicate():
            return time.time() - started
        time.sleep(step)
    return None


def part_d(tmp: Path, strangers: int = 150, timeout_s: float = 600) -> Table:
    """Hostile users and killed processes, under the real daemon (`dagster dev`)."""
    import dagster as dg
    import psutil

    from techlead_pipeline.defs.run_launcher import worker_pid
    from techlead_pipeline.reviews.markers import marker

    fixture = build_sample(tmp / "fixture")
    home, dagster_home = tmp / "home", tmp / "dagster"
    dagster_home.mkdir(parents=True)
    shutil.copy(Path(__file__).resolve().parents[1] / "dagster.yaml", dagster_home / "dagster.yaml")
    target = reviewer_repo(LEAD, SAMPLE)
    table = Table(title="D. Hostile users and killed runs (dagster dev: daemon, sensor, run monitoring, retries)")
    for col in ("case", "mentions", "answered", "duplicates", "lost", "unanswered", "time to answer s", "note"):
        table.add_column(col, justify="left" if col in ("case", "note") else "right")
    with GitHubStandin(fixture) as standin:
        env = deployment_env(standin, home, dagster_home, TECHLEAD_REPOSITORIES=SAMPLE, TECHLEAD_SEMANTIC_METRIC="0")
        os.environ.update(env)
        TokenVault.open(home / "secrets").put(TOKEN_NAME, standin.token_for(BOT_LOGIN))
        settings = Settings()
        access = GitHubAccess(settings, GitHubCredentials(token=Secret(standin.token_for(BOT_LOGIN))), SAMPLE)
        examples, _ = examples_from_github(access, target, settings, tmp / "scratch")
        store = AdapterStore(settings.adapters_dir)
        store.promote(target, build_bundle(store, target, examples.examples, "bench", base=None, lora=None))
        with open(tmp / "dagster-dev.log", "w") as log, dagster_dev(env, output=log), dg.DagsterInstance.get() as dgi:
            # 1. A flood of strangers, with markers forged in advance, and one collaborator.
            asked_at = time.time()
            flood = [
                standin.add_issue_comment(SAMPLE, 47 + i % 5, f"drive-by-{i:03}", f"@tech-lead-bot {LEAD}")["id"]
                for i in range(strangers)
            ]
            legit = standin.add_issue_comment(SAMPLE, 51, "tomas-b", f"@tech-lead-bot {LEAD}")["id"]
            standin.add_review(SAMPLE, 51, "drive-by-000", f"LGTM\n\n{marker(legit, 'review')}")
            for victim in flood[:10]:
                standin.add_issue_comment(SAMPLE, 47, "drive-by-001", f"ok\n\n{marker(victim, 'refusal')}")
            legit_s = _wait(lambda: _answered(standin)[legit] >= 1, timeout_s)
            all_s = _wait(lambda: set(flood) <= set(_replies_per_mention(standin)), timeout_s)
            replies = _replies_per_mention(standin)
            table.add_row(
                f"flood: {strangers} outsiders' mentions",
                str(strangers),
                str(sum(1 for m in flood if replies[m] >= 1)),
                str(sum(replies[m] - 1 for m in flood if replies[m] > 1)),
                "0",
                str(sum(1 for m in flood if replies[m] == 0)),
                f"{all_s:.0f}" if all_s is not None else "timeout",
                f"the collaborator's review came {legit_s:.0f} s after the flood began" if legit_s else "no review",
            )
            per_review = _answered(standin)
            table.add_row(
                "forged markers (a stranger's review / comments)",
                "11",
                str(int(per_review[legit] >= 1) + sum(1 for m in flood[:10] if replies[m] >= 1)),
                str(max(0, per_review[legit] - 1) + sum(max(0, replies[m] - 1) for m in flood[:10])),
                "0",
                str(int(per_review[legit] == 0) + sum(1 for m in flood[:10] if replies[m] == 0)),
                "-",
                "markers count only in the bot's own posts",
            )
            # 2. The served adapter is damaged: the next mention learns the reviewer again.
            served = store.current(target)
            (served.path / "retrieval" / "entries.json").write_text("[]")
            corrupt = standin.add_issue_comment(SAMPLE, 52, "li-wei", f"@tech-lead-bot {LEAD}")["id"]
            corrupt_s = _wait(lambda: _answered(standin)[corrupt] >= 1, timeout_s)
            renewed = store.current(target)
            table.add_row(
                "corrupt served adapter (entries.json emptied)",
                "1",
                str(int(_answered(standin)[corrupt] >= 1)),
                str(max(0, _answered(standin)[corrupt] - 1)),
                "0",
                str(int(_answered(standin)[corrupt] == 0)),
                f"{corrupt_s:.0f}" if corrupt_s else "timeout",
                "retrained" if renewed and renewed.version != served.version else "NOT retrained",
            )
            # 3. A run's worker is SIGKILLed after its mirror's pack arrived (as the OOM killer would).
            standin.faults.add(
                kind="latency", path=r"\.git/git-upload-pack", method="POST", skip=2, latency_ms=120_000, times=-1
            )
            killed = standin.add_issue_comment(SAMPLE, 50, "priya-r", f"@tech-lead-bot {LEAD} --force-reload")["id"]

            def the_run():
                key = f"mention-{mention_name(str(killed), ask_of(MentionCommand(LEAD, force_reload=True)))}"
                found = dgi.get_runs(filters=dg.RunsFilter(tags={"dagster/run_key": key}), limit=1)
                return found[0] if found else None

            _wait(lambda: the_run() is not None and worker_pid(dgi, the_run().run_id) is not None, timeout_s)
            _wait(lambda: any((home / "workspaces").rglob("*.pack")), 120)
            victim = the_run().run_id
            pid, _ = worker_pid(dgi, victim)
            root = psutil.Process(pid)
            for proc in [*root.children(recursive=True), root]:
                proc.kill()
            standin.faults.clear()
            killed_s = _wait(lambda: _answered(standin)[killed] >= 1, timeout_s)
            time.sleep(5)
            sorry = [p for p in standin.posted_issue_comments() if f"mention={killed}." in p["comment"]["body"]]
            retries = dgi.get_runs(filters=dg.RunsFilter(tags={"dagster/parent_run_id": victim}))
            how = (
                f"killed run {dgi.get_run_by_id(victim).status.value}; retries: {len(retries)} "
                f"({', '.join(r.status.value for r in retries) or '-'})"
            )
            table.add_row(
                "run worker SIGKILLed mid-run",
                "1",
                str(int(_answered(standin)[killed] >= 1)),
                str(max(0, _answered(standin)[killed] - 1) + len(sorry)),
                "0",
                str(int(_answered(standin)[killed] == 0 and not sorry)),
                f"{killed_s:.0f}" if killed_s else "timeout",
                f"{how}; plaintext packs left: {len(list((home / 'workspaces').rglob('*.pack')))}",
            )
            table.caption = f"wall {time.time() - asked_at:.0f} s; most writes GitHub saw in 60 s: " + str(
                standin.writes_in_any_minute()
            )
    return table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--load", action="store_true")
    parser.add_argument("--webhooks", action="store_true")
    parser.add_argument("--hostile", action="store_true")
    parser.add_argument("--repositories", type=int, default=10)
    parser.add_argument("--per-repo", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=1200)
    args = parser.parse_args()
    restore_interrupt_signals()  # so the `dagster dev` started by part B stops on SIGTERM
    both = not (args.faults or args.load or args.webhooks or args.hostile)
    with tempfile.TemporaryDirectory() as tmp:
        if args.faults or both:
            console.print(part_a(Path(tmp) / "a"))
        if args.load or both:
            console.print(part_b(Path(tmp) / "b", args.repositories, args.per_repo, args.timeout))
        if args.webhooks or both:
            console.print(part_c(Path(tmp) / "c"))
        if args.hostile or both:
            console.print(part_d(Path(tmp) / "d"))


if __name__ == "__main__":
    main()
