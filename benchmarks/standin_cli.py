"""What the benchmarks share to run `techlead` as a user would, in its own process, against the
GitHub stand-in: the environment that points it there, and the call."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from techlead_pipeline.github_standin import GitHubStandin

BOT = "tech-lead-bot"


def cli_env(standin: GitHubStandin, home: Path, **settings: str) -> dict:
    """The environment of a `techlead` process served by `standin`, everything it writes under
    `home`; `settings`: more TECHLEAD_* variables, by name without the prefix."""
    (home / "dagster").mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "TECHLEAD_HOME": str(home / "techlead"),
        "DAGSTER_HOME": str(home / "dagster"),
        "TECHLEAD_GITHUB_API_URL": standin.api_url,
        "TECHLEAD_GITHUB_WEB_URL": standin.url,
        "TECHLEAD_GITHUB_TOKEN": standin.token_for(BOT),
        "TECHLEAD_SECONDS_BETWEEN_WRITES": "0",
        **{f"TECHLEAD_{name}": value for name, value in settings.items()},
    }


def techlead(env: dict, *args: str) -> tuple[int, str, str, float]:
    """(exit code, stdout, stderr, wall seconds) of `techlead ARGS`."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "techlead_pipeline.cli", *args], env=env, capture_output=True, text=True
    )
    return result.returncode, result.stdout, result.stderr, time.perf_counter() - started
