"""Dagster's default run launcher, with the health check it lacks.

The default launcher starts each run worker as a process next to the code server and cannot tell
when that process died: a run whose worker was killed (OOM, SIGKILL, a code server restart) stays
STARTED forever, so run monitoring never fails it, its mention is never answered, and mentions
waiting for it wait for hours. Every run worker logs "Started process for run (pid: N)" as it
starts; this launcher looks that process up. Gone, or a different process under a reused pid (it
started after the run did), means the worker is dead and run monitoring fails the run, after which
run retries and the failure reply take over.

It reads local processes, so it suits deployments where the daemon and the code server share a
host (local, the demo, single-machine installs). On Kubernetes, dagster-k8s's K8sRunLauncher checks
its run pods itself (deploy/).
"""

from __future__ import annotations

import os

from dagster import DagsterEventType, DefaultRunLauncher
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus

_STARTED = "Started process for run"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _boot_time() -> float:
    with open("/proc/stat") as fh:
        for line in fh:
            if line.startswith("btime "):
                return float(line.split()[1])
    raise OSError("no btime in /proc/stat")


def process_started_at(pid: int) -> float | None:
    """When process `pid` started (epoch seconds), or None when there is no such live process."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    if fields[0] in ("Z", "X"):  # a zombie is dead: its parent has not reaped it yet
        return None
    return _boot_time() + int(fields[19]) / _CLOCK_TICKS


def worker_pid(instance, run_id: str) -> tuple[int, float] | None:
    """(pid, when it was logged) of the run's worker, from the run's own event log."""
    for record in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
        event = record.dagster_event
        if event is None or not (event.message or record.user_message or "").startswith(_STARTED):
            continue
        pid = (event.engine_event_data.metadata or {}).get("pid")
        if pid is not None:
            return int(pid.value), record.timestamp
    return None


class WatchedRunLauncher(DefaultRunLauncher):
    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run) -> CheckRunHealthResult:
        found = worker_pid(self._instance, run.run_id)
        if found is None:  # anything but RUNNING fails the run: no news is not bad news
            return CheckRunHealthResult(WorkerStatus.RUNNING, "the run worker has not logged its process yet")
        pid, logged_at = found
        started = process_started_at(pid)
        if started is None:
            return CheckRunHealthResult(WorkerStatus.FAILED, f"run worker process {pid} is gone")
        if started > logged_at + 5:  # the pid was reused by a process younger than the run
            return CheckRunHealthResult(WorkerStatus.FAILED, f"run worker process {pid} is gone (pid reused)")
        return CheckRunHealthResult(WorkerStatus.RUNNING, f"run worker process {pid} alive", run_worker_id=str(pid))
