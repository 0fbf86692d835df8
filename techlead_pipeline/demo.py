"""`techlead demo`: the whole product on one machine with nothing but this repository.

Starts the GitHub stand-in on loopback with the bundled sample and drives the pipeline against
it through Dagster (in process, sqlite instance), printing what happened and how long it took.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .github_standin import GitHubStandin
from .sample.builder import BOT_LOGIN, LEAD, OWNER, REPO, build_sample

console = Console()


def prepare_environment(root: Path, standin: GitHubStandin) -> None:
    from .github_api.client import TOKEN_NAME
    from .github_api.token_vault import TokenVault
    from .settings import Settings

    os.environ.update({
        "TECHLEAD_HOME": str(root / "home"),
        "DAGSTER_HOME": str(root / "dagster"),
        "TECHLEAD_GITHUB_API_URL": standin.api_url,
        "TECHLEAD_GITHUB_WEB_URL": standin.url,
        "TECHLEAD_REPOSITORIES": f"{OWNER}/{REPO}",
        "TECHLEAD_SECONDS_BETWEEN_WRITES": "0",
    })
    (root / "dagster").mkdir(parents=True, exist_ok=True)
    TokenVault.open(Settings().secrets_dir).put(TOKEN_NAME, standin.token_for(BOT_LOGIN))


def run_demo(root: Path = Path(".techlead/demo")) -> int:
    from .partitions import reviewer_repo
    from .runner import run_partition

    started = time.perf_counter()
    root = root.resolve()
    if root.exists():
        shutil.rmtree(root)
    console.rule("techlead-reviewer demo")
    t = time.perf_counter()
    fixture = build_sample(root / "fixture")
    console.print(f"built the sample repository {OWNER}/{REPO} in {time.perf_counter() - t:.1f}s")
    with GitHubStandin(fixture) as standin:
        console.print(f"GitHub stand-in listening on {standin.url}")
        prepare_environment(root, standin)
        target = reviewer_repo(LEAD, f"{OWNER}/{REPO}")
        t = time.perf_counter()
        result = run_partition("collect_history", target)
        if not result.success:
            console.print(f"[red]collection failed: {result.error}[/red]")
            return 1
        table = Table(title=f"History of {LEAD} in {OWNER}/{REPO}")
        table.add_column("asset")
        table.add_column("figures")
        for asset, meta in result.materializations.items():
            shown = {k: v for k, v in meta.items() if isinstance(v, (int, float, str)) and len(str(v)) < 60}
            table.add_row(asset, ", ".join(f"{k}={v}" for k, v in shown.items()))
        console.print(table)
        console.print(f"collection took {time.perf_counter() - t:.1f}s; API calls: {len(standin.api_calls())}")
    console.print(f"demo finished in {time.perf_counter() - started:.1f}s")
    return 0
