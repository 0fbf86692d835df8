"""Dagster resources: thin configuration over the library classes.

Every field left unset falls back to the deployment's `TECHLEAD_*` environment (see settings.py),
so one `Definitions` serves local use, tests and production unchanged.
"""

from __future__ import annotations

from typing import Optional

import dagster as dg

from .github_api.client import GitHubAccess, GitHubCredentials
from .github_api.token_vault import TokenVault
from .run_workspace import RunWorkspace, sweep_workspaces
from .settings import Settings


class PipelineSettings(dg.ConfigurableResource):
    """Where the pipeline keeps its files, and the knobs of collection and learning."""

    home: Optional[str] = None
    context_lines: Optional[int] = None
    max_prs: Optional[int] = None
    min_examples: Optional[int] = None
    holdout_fraction: Optional[float] = None
    github_api_url: Optional[str] = None
    github_web_url: Optional[str] = None
    seconds_between_writes: Optional[float] = None
    retry_backoff: Optional[float] = None
    secondary_rate_wait: Optional[float] = None

    def settings(self) -> Settings:
        from pathlib import Path

        base = Settings()
        changes = {k: v for k, v in self.model_dump().items() if v is not None}
        if "home" in changes:
            changes["home"] = Path(changes["home"]).resolve()
        return base.with_(**changes)

    def vault(self) -> TokenVault:
        return TokenVault.open(self.settings().secrets_dir)

    def github(self, repo: str) -> GitHubAccess:
        settings = self.settings()
        return GitHubAccess(settings, GitHubCredentials.from_vault(self.vault()), repo)

    def workspace(self, context: dg.AssetExecutionContext) -> RunWorkspace:
        return RunWorkspace(self.settings().workspaces_dir, context.run.run_id, context.partition_key,
                            self.vault().fernet)

    def sweep_workspaces(self, instance: dg.DagsterInstance, current_run_id: str) -> list[str]:
        """Removes the workspaces that runs killed before their cleanup left behind."""
        live = {dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
                dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING}

        def is_active(run_id: str) -> bool:
            if run_id == current_run_id:
                return True
            run = instance.get_run_by_id(run_id)
            return run is not None and run.status in live

        return sweep_workspaces(self.settings().workspaces_dir, is_active)
