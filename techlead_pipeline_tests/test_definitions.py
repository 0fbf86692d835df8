"""The code location loads the way Dagster loads it (`dagster definitions validate` on workspace.yaml,
what `dagster dev` and the Helm chart's gRPC server read), and holds what the project says it holds:
six assets, their asset checks (blocking where a later asset must not run on bad data), the jobs and
the sensors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg

from techlead_pipeline.definitions import defs

ROOT = Path(__file__).resolve().parents[1]


def test_dagster_validates_the_workspace(tmp_path):
    shutil.copy(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    dagster = Path(sys.executable).with_name("dagster")
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "All code locations passed validation" in result.stderr + result.stdout


def test_the_definitions_hold_the_assets_checks_jobs_and_sensors():
    graph = defs.resolve_asset_graph()
    assets = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert assets == {
        "review_comments",
        "code_contexts",
        "training_examples",
        "reviewer_adapter",
        "reviewer_evaluation",
        "pr_review",
    }
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert len(checks) >= 4
    assert {
        ("training_examples", "enough_examples"),
        ("training_examples", "no_held_out_pull_request_in_training"),
        ("training_examples", "no_comment_on_both_sides_of_the_split"),
        ("reviewer_adapter", "peft_lora"),
        ("reviewer_adapter", "rank_within_server_limit"),
        ("reviewer_adapter", "base_model_is_served_model"),
        ("reviewer_adapter", "weights_match_checksums"),
        ("reviewer_evaluation", "learned_reviewer_serves"),
        ("pr_review", "anchors_inside_the_diff"),
        ("pr_review", "no_repeated_comment"),
    } == checks
    specs = {(s.asset_key.to_user_string(), s.name): s for a in defs.assets for s in a.check_specs}
    assert all(specs[c].blocking for c in checks if c[0] in ("training_examples", "reviewer_adapter"))
    assert all(specs[c].partitions_def is not None for c in checks)  # results per (reviewer, repo) partition
    jobs = {j.name for j in defs.resolve_all_job_defs()} - {"__ASSET_JOB"}
    assert jobs == {"collect_history", "train_reviewer", "review_pull_request", "train_and_review"}
    sensors = {s.name for s in defs.sensors}
    assert sensors == {
        "pr_mentions",
        "workspace_cleanup_on_failure",
        "workspace_cleanup_on_canceled",
        "mention_run_failed",
    }
    assert isinstance(defs.resources["pipeline"], dg.ConfigurableResource)
