"""Running a job of the code location in-process, for the CLI and the demo.

Uses the Dagster instance under DAGSTER_HOME (default: `<techlead home>/dagster`, sqlite), so
runs started from the command line show up in `dagster dev` like any other.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from .partitions import ReviewerRepo, reviewer_repo_partitions
from .settings import Settings


def instance() -> dg.DagsterInstance:
    if not os.environ.get("DAGSTER_HOME"):
        home = Settings().home / "dagster"
        home.mkdir(parents=True, exist_ok=True)
        os.environ["DAGSTER_HOME"] = str(home)
    os.environ["DAGSTER_HOME"] = str(Path(os.environ["DAGSTER_HOME"]).resolve())  # Dagster wants it absolute
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    ensure_instance_config(home)
    return dg.DagsterInstance.get()


def ensure_instance_config(home: Path) -> None:
    """Gives a fresh DAGSTER_HOME the project's dagster.yaml (telemetry off, run queue limits)."""
    target = home / "dagster.yaml"
    if not target.exists():
        from importlib import resources

        target.write_text(resources.files("techlead_pipeline").joinpath("dagster_instance.yaml").read_text())


@dataclass
class RunSummary:
    success: bool
    run_id: str
    error: str | None = None
    materializations: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def summary(self) -> dict:
        return {"success": self.success, "run_id": self.run_id, "error": self.error,
                "assets": self.materializations}


def metadata_values(event_metadata: dict) -> dict[str, Any]:
    out = {}
    for key, value in event_metadata.items():
        out[key] = getattr(value, "value", value)
    return out


def summarize(result) -> RunSummary:
    mats = {}
    for event in result.get_asset_materialization_events():
        mat = event.step_materialization_data.materialization
        mats[mat.asset_key.to_user_string()] = metadata_values(mat.metadata)
    error = None
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure:
                data = event.step_failure_data
                error = (data.user_failure_data.description if data.user_failure_data else None) or \
                    _root_cause(data.error)
                break
    return RunSummary(result.success, result.run_id, error, mats)


def _root_cause(error) -> str:
    """The innermost error of Dagster's wrapped step error, as `Type: message`."""
    if error is None:
        return "step failed"
    while error.cause is not None:
        error = error.cause
    first = error.message.strip().split("\n")[0]
    first = re.sub(rf"^[\w.]*{re.escape(error.cls_name)}: ", "", first)
    return f"{error.cls_name}: {first}"


def run_partition(job_name: str, target: ReviewerRepo, *, tags: dict | None = None,
                  run_config: dict | None = None, dagster_instance: dg.DagsterInstance | None = None,
                  selection: list[str] | None = None) -> RunSummary:
    from .definitions import defs

    inst = dagster_instance or instance()
    if not inst.has_dynamic_partition(reviewer_repo_partitions.name, target.key):
        inst.add_dynamic_partitions(reviewer_repo_partitions.name, [target.key])
    job = defs.resolve_job_def(job_name)
    config = dict(run_config or {})
    config.setdefault("loggers", {"console": {"config": {"log_level": os.environ.get("TECHLEAD_LOG_LEVEL", "CRITICAL")}}})
    result = job.execute_in_process(
        instance=inst, partition_key=target.key, tags=tags or {}, run_config=config,
        raise_on_error=False, asset_selection=[dg.AssetKey(s) for s in selection] if selection else None)
    return summarize(result)
