"""Settings of a deployment, read from `TECHLEAD_*` environment variables (defaults suit local use).

Everything the pipeline writes lives under `home`:
    adapters/<partition>/     served adapter bundle per (reviewer, repo) and its candidates
    workspaces/<run id>/      run-scoped, encrypted working data (deleted when the run ends)
    checkpoints/<partition>/  encrypted pages of an interrupted collection (resume after a kill)
    secrets/                  Fernet-encrypted GitHub credentials
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(f"TECHLEAD_{name}", default)


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=lambda: Path(_env("HOME", ".techlead")).resolve())
    github_api_url: str = field(default_factory=lambda: _env("GITHUB_API_URL", "https://api.github.com"))
    github_web_url: str = field(default_factory=lambda: _env("GITHUB_WEB_URL", "https://github.com"))
    bot_login: str = field(default_factory=lambda: _env("BOT_LOGIN", "tech-lead-bot"))
    repositories: tuple[str, ...] = field(
        default_factory=lambda: tuple(r for r in _env("REPOSITORIES", "").split(",") if r.strip())
    )
    # Collection
    max_prs: int = field(default_factory=lambda: int(_env("MAX_PRS", "3000")))
    context_lines: int = field(default_factory=lambda: int(_env("CONTEXT_LINES", "20")))
    max_file_bytes: int = field(default_factory=lambda: int(_env("MAX_FILE_BYTES", str(2_000_000))))
    checkpoint_ttl_s: int = field(default_factory=lambda: int(_env("CHECKPOINT_TTL_S", str(24 * 3600))))
    # GitHub client behaviour: GitHub asks integrators to pace writes (secondary limits).
    seconds_between_requests: float = field(default_factory=lambda: float(_env("SECONDS_BETWEEN_REQUESTS", "0.0")))
    seconds_between_writes: float = field(default_factory=lambda: float(_env("SECONDS_BETWEEN_WRITES", "1.0")))
    # Content-creating requests a minute, shared by every process (GitHub's secondary limit is ~80).
    writes_per_minute: int = field(default_factory=lambda: int(_env("WRITES_PER_MINUTE", "70")))
    retry_total: int = field(default_factory=lambda: int(_env("RETRY_TOTAL", "8")))
    retry_backoff: float = field(default_factory=lambda: float(_env("RETRY_BACKOFF", "1.0")))
    secondary_rate_wait: float = field(default_factory=lambda: float(_env("SECONDARY_RATE_WAIT", "60")))
    max_rate_limit_wait: float = field(default_factory=lambda: float(_env("MAX_RATE_LIMIT_WAIT", "900")))
    # Requests left in the hour below which reads pause until GitHub's reset (room for reviews, replies).
    rate_limit_floor: int = field(default_factory=lambda: int(_env("RATE_LIMIT_FLOOR", "100")))
    # Mentions: how far back a newly watched repository is read (older mentions are history, not requests).
    mention_lookback_s: int = field(default_factory=lambda: int(_env("MENTION_LOOKBACK_S", "3600")))
    # One sensor evaluation's time (Dagster kills a tick at 60 s): reading comments stops at
    # 3/4 of it and resumes next tick; refusals are posted in what is left, at most
    # `refusals_per_tick`, and only while under `refusal_write_share` of the minute's write budget,
    # so a flood of strangers never delays a legitimate mention or the reviews' writes.
    sensor_budget_s: float = field(default_factory=lambda: float(_env("SENSOR_BUDGET_S", "40")))
    refusals_per_tick: int = field(default_factory=lambda: int(_env("REFUSALS_PER_TICK", "20")))
    refusal_write_share: float = field(default_factory=lambda: float(_env("REFUSAL_WRITE_SHARE", "0.5")))
    # GitHub App: how often installations are read again, and missed webhook deliveries looked for
    # (a delivery younger than the grace may still be on its way).
    installations_refresh_s: float = field(default_factory=lambda: float(_env("INSTALLATIONS_REFRESH_S", "600")))
    redelivery_check_s: float = field(default_factory=lambda: float(_env("REDELIVERY_CHECK_S", "600")))
    redelivery_grace_s: float = field(default_factory=lambda: float(_env("REDELIVERY_GRACE_S", "60")))
    # Learning. The reviewer's newest comments whose code is read: training takes the newest 1,500
    # (LoraSettings.max_train_comments), and validation and held-out examples (20 %) are newer still.
    max_context_comments: int = field(default_factory=lambda: int(_env("MAX_CONTEXT_COMMENTS", "1900")))
    # Other reviewers' comments (the evaluation's baselines) are read for the newest share of that window.
    others_fraction: float = field(default_factory=lambda: float(_env("OTHERS_FRACTION", "0.5")))
    min_examples: int = field(default_factory=lambda: int(_env("MIN_EXAMPLES", "20")))
    holdout_fraction: float = field(default_factory=lambda: float(_env("HOLDOUT_FRACTION", "0.1")))
    validation_fraction: float = field(default_factory=lambda: float(_env("VALIDATION_FRACTION", "0.1")))
    # Evaluation: the score an adapter must beat retrieval on to be served.
    # (as posted: what users would see, silences included)
    primary_score: str = field(default_factory=lambda: _env("PRIMARY_SCORE", "hunk_f05"))
    semantic_metric: bool = field(default_factory=lambda: _env("SEMANTIC_METRIC", "1") == "1")
    # Reviews: at most this many comments each, the most confident first; per repository with
    # TECHLEAD_MAX_COMMENTS_BY_REPO="owner/name=5,owner/other=20".
    max_comments: int = field(default_factory=lambda: int(_env("MAX_COMMENTS", "10")))
    max_comments_by_repo: str = field(default_factory=lambda: _env("MAX_COMMENTS_BY_REPO", ""))

    def comment_cap(self, repo: str) -> int:
        """The most comments one review posts in `repo`."""
        for item in self.max_comments_by_repo.split(","):
            name, sep, value = item.strip().rpartition("=")
            if sep and name.strip().lower() == repo.lower() and value.strip().isdigit():
                return int(value)
        return self.max_comments

    @property
    def adapters_dir(self) -> Path:
        return self.home / "adapters"

    @property
    def workspaces_dir(self) -> Path:
        return self.home / "workspaces"

    @property
    def checkpoints_dir(self) -> Path:
        return self.home / "checkpoints"

    @property
    def reactions_dir(self) -> Path:
        """Who reacted to the bot's comments, as last read (history/feedback.py: ReactionMemo)."""
        return self.home / "reactions"

    @property
    def secrets_dir(self) -> Path:
        return self.home / "secrets"

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)


def web_url_for(api_url: str) -> str:
    """The web (and git) address that goes with a REST API address."""
    api_url = api_url.rstrip("/")
    if api_url == "https://api.github.com":
        return "https://github.com"
    if api_url.endswith("/api/v3"):  # GitHub Enterprise Server, and the stand-in
        return api_url[: -len("/api/v3")]
    return api_url
