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

from ..common.partitions import ReviewerRepo, reviewer_repo_partitions
from ..common.settings import Settings


def instance() -> dg.DagsterInstance:
    home = Path(os.environ.get("DAGSTER_HOME") or Settings().home / "dagster").resolve()  # Dagster wants it absolute
    os.environ["DAGSTER_HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    ensure_instance_config(home)
    return dg.DagsterInstance.get()


def ensure_instance_config(home: Path) -> None:
    """Gives a fresh DAGSTER_HOME the project's dagster.yaml (telemetry off, run queue limits)."""
    target = home / "dagster.yaml"
    if not target.exists():
        from importlib import resources

        target.write_text(resources.files("techlead_pipeline.defs").joinpath("dagster_instance.yaml").read_text())


@dataclass
class RunSummary:
    success: bool
    run_id: str
    error: str | None = None
    materializations: dict[str, dict[str, Any]] = field(default_factory=dict)
    step_seconds: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def summary(self) -> dict:
        return {"success": self.success, "run_id": self.run_id, "error": self.error, "assets": self.materializations}


def metadata_values(event_metadata: dict) -> dict[str, Any]:
    return {key: getattr(value, "value", value) for key, value in event_metadata.items()}


def _step_seconds(inst: dg.DagsterInstance | None, run_id: str) -> dict[str, float]:
    if inst is None:
        return {}
    started, out = {}, {}
    for record in inst.all_logs(run_id):
        event = record.dagster_event
        if event is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = record.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in started:
            out[event.step_key] = round(record.timestamp - started[event.step_key], 2)
    return out


def summarize(result, inst: dg.DagsterInstance | None = None) -> RunSummary:
    mats = {}
    for event in result.get_asset_materialization_events():
        mat = event.step_materialization_data.materialization
        mats[mat.asset_key.to_user_string()] = metadata_values(mat.metadata)
    error = None
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure:
                data = event.step_failure_data
                error = (data.user_failure_data.description if data.user_failure_data else None) or _root_cause(
                    data.error
                )
                break
    return RunSummary(
        result.success, result.run_id, error, mats, _step_seconds(inst, result.run_id), dict(result.dagster_run.tags)
    )


def _root_cause(error) -> str:
    """The innermost error of Dagster's wrapped step error, as `Type: message`."""
    if error is None:
        return "step failed"
    while error.cause is not None:
        error = error.cause
    first = error.message.strip().split("\n")[0]
    first = re.sub(rf"^[\w.]*{re.escape(error.cls_name)}: ", "", first)
    return f"{error.cls_name}: {first}"


def _quiet_console(run_config: dict | None) -> dict:
    """In-process runs print through our own progress lines; Dagster's console logger stays quiet
    unless TECHLEAD_LOG_LEVEL asks for more (the events are in the instance either way)."""
    config = dict(run_config or {})
    config.setdefault(
        "loggers", {"console": {"config": {"log_level": os.environ.get("TECHLEAD_LOG_LEVEL", "CRITICAL")}}}
    )
    return config


def run_partition(
    job_name: str,
    target: ReviewerRepo,
    *,
    tags: dict | None = None,
    run_config: dict | None = None,
    dagster_instance: dg.DagsterInstance | None = None,
    selection: list[str] | None = None,
) -> RunSummary:
    from ..definitions import defs

    inst = dagster_instance or instance()
    if not inst.has_dynamic_partition(reviewer_repo_partitions.name, target.key):
        inst.add_dynamic_partitions(reviewer_repo_partitions.name, [target.key])
    job = defs.resolve_job_def(job_name)
    result = job.execute_in_process(
        instance=inst,
        partition_key=target.key,
        tags=tags or {},
        run_config=_quiet_console(run_config),
        raise_on_error=False,
        asset_selection=[dg.AssetKey(s) for s in selection] if selection else None,
    )
    return summarize(result, inst)


@dataclass
class SensorTick:
    cursor: str | None
    runs: list[RunSummary] = field(default_factory=list)
    skipped_run_keys: list[str] = field(default_factory=list)
    requested: int = 0
    requested_run_keys: list[str] = field(default_factory=list)


def _already_ran(inst: dg.DagsterInstance, sensor_name: str, run_key: str) -> bool:
    return bool(
        inst.get_runs(
            filters=dg.RunsFilter(tags={"dagster/sensor_name": sensor_name, "dagster/run_key": run_key}), limit=1
        )
    )


def tick_sensor(
    sensor_name: str, cursor: str | None, dagster_instance: dg.DagsterInstance | None = None, launch: bool = True
) -> SensorTick:
    """Evaluates a sensor once and runs what it asks for, in process — what the daemon does,
    including skipping run keys that already ran (so a re-read mention never runs twice)."""
    from ..definitions import defs

    inst = dagster_instance or instance()
    sensor = defs.resolve_sensor_def(sensor_name)
    context = dg.build_sensor_context(
        instance=inst, cursor=cursor, definitions=defs, sensor_name=sensor_name, resources=dict(defs.resources or {})
    )
    result = sensor(context)
    for request in result.dynamic_partitions_requests or []:
        inst.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    tick = SensorTick(
        result.cursor,
        requested=len(result.run_requests or []),
        requested_run_keys=[r.run_key for r in result.run_requests or []],
    )
    job = defs.resolve_job_def(sensor.job_name) if launch and result.run_requests else None
    for request in result.run_requests or []:
        if _already_ran(inst, sensor_name, request.run_key):
            tick.skipped_run_keys.append(request.run_key)
            continue
        if job is None:
            continue
        res = job.execute_in_process(
            instance=inst,
            partition_key=request.partition_key,
            asset_selection=list(request.asset_selection),
            tags={**request.tags, "dagster/run_key": request.run_key, "dagster/sensor_name": sensor_name},
            run_config=_quiet_console(request.run_config),
            raise_on_error=False,
        )
        tick.runs.append(summarize(res, inst))
    return tick
