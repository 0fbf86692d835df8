"""Sensors on finished runs: no workspace left behind, and every mention answered."""
# No `from __future__ import annotations`: Dagster reads the context annotations.

import dagster as dg

from ...common.run_workspace import RunWorkspace
from ...common.safe_markdown import code_span
from ...reviews.post import find_existing_review
from ...reviews.replies import post_reply
from .. import run_tags
from ..resources import PipelineSettings


def _workspace_cleanup(status: dg.DagsterRunStatus) -> dg.SensorDefinition:
    @dg.run_status_sensor(
        run_status=status,
        name=f"workspace_cleanup_on_{status.value.lower()}",
        monitor_all_code_locations=False,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def cleanup(context: dg.RunStatusSensorContext, pipeline: PipelineSettings):
        """A failed or canceled run's encrypted workspace is deleted at once (the steps delete it
        too; this catches runs whose process died)."""
        settings = pipeline.settings()
        RunWorkspace(settings.workspaces_dir, context.dagster_run.run_id, "_", pipeline.vault().fernet).purge()

    return cleanup


workspace_cleanup_on_failure = _workspace_cleanup(dg.DagsterRunStatus.FAILURE)
workspace_cleanup_on_canceled = _workspace_cleanup(dg.DagsterRunStatus.CANCELED)


def answer_failed_run(instance: dg.DagsterInstance, run: dg.DagsterRun, pipeline: PipelineSettings) -> bool:
    """A run for a mention that ended failed and will not be retried gets one reply, unless a step
    already gave one (a step that fails answers for itself; a killed one cannot). Returns whether
    a reply was posted."""
    run = instance.get_run_by_id(run.run_id) or run  # the retry daemon's verdict is a tag added late
    tags = run.tags
    repo, pull, mention = tags.get(run_tags.REPO), tags.get(run_tags.PULL), tags.get(run_tags.MENTION_ID)
    if not (repo and pull and mention) or tags.get("dagster/will_retry") == "true":
        return False
    access = pipeline.github(repo)
    if find_existing_review(access, repo, int(pull), mention) is not None:
        return False  # it died after posting its review: the mention is answered
    body = (
        f"Sorry, I could not finish this: the run doing it stopped unexpectedly (run {code_span(run.run_id[:8])}). "
        "The maintainers can see why in Dagster; a new mention will try again."
    )
    return post_reply(access, repo, int(pull), body, mention_id=mention)


@dg.run_failure_sensor(
    name="mention_run_failed",
    monitor_all_code_locations=False,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
)
def mention_run_failed(context: dg.RunFailureSensorContext, pipeline: PipelineSettings):
    """Every mention gets an answer: a run killed outright (OOM, SIGKILL, its worker found dead by
    run monitoring) and not retried is answered here."""
    answer_failed_run(context.instance, context.dagster_run, pipeline)
