"""The train_reviewer job end to end on the sample: dataset, real torchtune training, the adapter
cache (reuse, force-reload, failed retrain) and the privacy promise."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from techlead_pipeline import cli
from techlead_pipeline.adapters.store import AdapterStore
from techlead_pipeline.common.partitions import reviewer_repo
from techlead_pipeline.common.settings import Settings
from techlead_pipeline.defs.runner import run_partition
from techlead_pipeline.github_api.client import TOKEN_NAME
from techlead_pipeline.github_api.token_vault import TokenVault
from techlead_pipeline.github_standin import GitHubStandin
from techlead_pipeline.sample.builder import BOT_LOGIN, SampleSpec, build_sample
from techlead_pipeline_tests.conftest import SAMPLE_REPO, files_under

CANARY = "CANARY-3c1b7e-never-keep-source"


@pytest.fixture
def canary_settings(tmp_path_factory, home, monkeypatch):
    fixture = build_sample(tmp_path_factory.mktemp("canary") / "fixture", SampleSpec(canary=CANARY))
    with GitHubStandin(fixture) as standin:
        monkeypatch.setenv("TECHLEAD_GITHUB_API_URL", standin.api_url)
        monkeypatch.setenv("TECHLEAD_GITHUB_WEB_URL", standin.url)
        monkeypatch.setenv("TECHLEAD_SECONDS_BETWEEN_WRITES", "0")
        TokenVault.open(Settings().secrets_dir).put(TOKEN_NAME, standin.token_for(BOT_LOGIN))
        yield Settings(), standin


def test_training_run_caches_an_adapter_and_keeps_no_source(canary_settings, training_env, instance, lead_target, home):
    settings, _ = canary_settings
    result = run_partition("train_reviewer", lead_target, dagster_instance=instance)
    assert result.success, result.error
    meta = result.materializations
    assert (
        meta["training_examples"]["train_comments"] > 130 and meta["training_examples"]["holdout_prs"] == 6
    )  # at least 6 of her 50 (a quarter would be 13)
    assert meta["training_examples"]["validation_examples"] > 0
    assert json.loads(json.dumps(meta["training_examples"]["dropped"]))["reply"] > 0
    assert meta["reviewer_adapter"]["eval_loss_after"] < meta["reviewer_adapter"]["eval_loss_before"]
    bundle = AdapterStore(settings.adapters_dir).current(lead_target)
    assert bundle.has_lora and bundle.version == meta["reviewer_adapter"]["version"]
    manifest = bundle.manifest
    assert manifest["base_model"]["id"] == training_env.model_id and len(manifest["base_model"]["hash"]) == 32
    assert manifest["dataset"]["fingerprint"] == meta["training_examples"]["dataset_fingerprint"]
    assert manifest["training"]["rank"] == 8 and manifest["metrics"]["steps"] > 0
    # the privacy promise: the planted canary is in no file the run left behind
    assert files_under(settings.workspaces_dir) == [] and files_under(settings.checkpoints_dir) == []
    scanned = files_under(home) + files_under(home.parent / "dagster")
    assert any(p.name == "adapter_model.safetensors" for p in scanned)
    leaks = [p for p in scanned if CANARY.encode() in p.read_bytes()]
    assert leaks == []
    # the asset checks, per partition, as the UI shows them
    checks = check_evaluations(instance, lead_target.key)
    assert {name for name, _ in checks} >= {
        "enough_examples",
        "no_held_out_pull_request_in_training",
        "no_comment_on_both_sides_of_the_split",
        "peft_lora",
        "rank_within_server_limit",
        "base_model_is_served_model",
        "weights_match_checksums",
        "learned_reviewer_serves",
    }
    assert all(passed for name, passed in checks if name != "learned_reviewer_serves")
    card = meta["reviewer_evaluation"]["reviewer_card"]
    assert "Most frequent concerns" in card and "data:image/png;base64," in card and "<!--" not in card


def test_cached_adapter_is_reused_and_force_reload_replaces_it(
    settings, training_env, standin, monkeypatch, lead_target
):
    argv = ["train", "--reviewer", lead_target.reviewer, "--repo", SAMPLE_REPO, "--github-url", standin.api_url]
    assert cli.main(argv) == 0
    store = AdapterStore(settings.adapters_dir)
    first = store.current(lead_target).version
    calls = len(standin.api_calls())
    assert cli.main(argv) == 0  # cached: no collection, no training
    assert len(standin.api_calls()) == calls and store.current(lead_target).version == first
    assert cli.main(argv + ["--force-reload"]) == 0
    assert len(standin.api_calls()) > calls  # re-collected
    second = store.current(lead_target).version
    assert second != first and first in store.versions(lead_target)


def test_failed_retrain_leaves_the_old_adapter_serving(
    settings, training_env, instance, lead_target, tmp_path, monkeypatch
):
    assert run_partition("train_reviewer", lead_target, dagster_instance=instance).success
    store = AdapterStore(settings.adapters_dir)
    before = store.current(lead_target).version
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("{}")  # no tokenizer, no weights: training fails after collection
    monkeypatch.setenv("TECHLEAD_BASE_MODEL_DIR", str(broken))
    result = run_partition("train_reviewer", lead_target, dagster_instance=instance)
    assert not result.success
    assert result.error.startswith("BaseModelError: tokenizer not found at")
    assert store.current(lead_target).version == before
    assert not any((settings.adapters_dir / lead_target.key / "staging").iterdir())
    assert files_under(settings.workspaces_dir) == []


def test_too_few_comments_is_a_clear_failure(settings, instance, monkeypatch):
    monkeypatch.setenv("TECHLEAD_MIN_EXAMPLES", "1000")
    result = run_partition("train_reviewer", reviewer_repo("priya-r", SAMPLE_REPO), dagster_instance=instance)
    assert not result.success
    assert "I need at least 1000 to learn their style" in result.error
    checks = dict(check_evaluations(instance, reviewer_repo("priya-r", SAMPLE_REPO).key))
    assert checks["enough_examples"] is False  # shown as a failed check on that partition


def check_evaluations(instance, partition: str) -> list[tuple[str, bool]]:
    """(check name, passed) of every asset check evaluation Dagster recorded for `partition`."""
    out = []
    for record in instance.get_event_records(
        dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    ):
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.partition == partition:
            out.append((evaluation.check_name, evaluation.passed))
    return out
