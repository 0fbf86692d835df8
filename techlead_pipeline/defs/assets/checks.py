"""The asset checks Dagster shows for every (reviewer, repository) partition: declared here, decided
by the rules in techlead_pipeline/asset_check_rules/, reported by the assets that produce what they judge (the
data lives only inside the run's encrypted workspace, so the asset that holds it reports on it).
Blocking checks stop what comes after: no training on leaked or too little data, no serving of an
adapter vLLM could not load."""

import warnings

import dagster as dg

from ...asset_check_rules import Verdict
from ...common.partitions import reviewer_repo_partitions

CHECKS = {
    "training_examples": (
        ("enough_examples", "Enough of the reviewer's comments to learn from (TECHLEAD_MIN_EXAMPLES)."),
        ("no_held_out_pull_request_in_training", "No validation or held-out pull request is trained on."),
        ("no_comment_on_both_sides_of_the_split", "No comment is on both sides of the time split."),
    ),
    "reviewer_adapter": (
        ("peft_lora", "adapter_config.json says peft_type LORA (vLLM's filesystem resolver needs it)."),
        ("rank_within_server_limit", "r is at most the vLLM server's --max-lora-rank."),
        ("base_model_is_served_model", "base_model_name_or_path is the model the deployment serves."),
        ("weights_match_checksums", "adapter_model.safetensors is present and matches the manifest's sha256."),
    ),
    "reviewer_evaluation": (
        (
            "learned_reviewer_serves",
            "The gate's decision: does a learned way of reviewing beat retrieval? (WARN when not)",
        ),
    ),
    "pr_review": (
        ("anchors_inside_the_diff", "Every posted comment sits on a line of the pull request's diff."),
        ("no_repeated_comment", "No comment repeats one the bot already posted there (same anchor and words)."),
    ),
}
BLOCKING = {"training_examples", "reviewer_adapter"}


def check_specs(asset: str) -> list[dg.AssetCheckSpec]:
    with warnings.catch_warnings():  # partitioned check specs are marked preview in Dagster 1.13
        warnings.simplefilter("ignore")
        return [
            dg.AssetCheckSpec(
                name,
                asset=asset,
                description=text,
                blocking=asset in BLOCKING,
                partitions_def=reviewer_repo_partitions,
            )
            for name, text in CHECKS[asset]
        ]


def _metadata(verdict: Verdict) -> dict:
    out = {"summary": verdict.summary}
    for key, value in verdict.metadata.items():
        out[key] = dg.MetadataValue.json(value) if isinstance(value, (list, dict)) else value
    return out


def check_results(
    asset: str, verdicts: list[Verdict], severity=dg.AssetCheckSeverity.ERROR
) -> list[dg.AssetCheckResult]:
    return [
        dg.AssetCheckResult(
            asset_key=asset,
            check_name=v.check,
            passed=v.passed,
            severity=severity,
            description=v.summary,
            metadata=_metadata(v),
        )
        for v in verdicts
    ]


def log_failed_checks(context: dg.AssetExecutionContext, asset: str, verdicts: list[Verdict]) -> None:
    """Records the checks of an asset that is about to raise (a failure the user gets a reply for)."""
    for v in verdicts:
        context.log_event(
            dg.AssetCheckEvaluation(
                asset_key=dg.AssetKey(asset),
                check_name=v.check,
                passed=v.passed,
                metadata=_metadata(v),
                description=v.summary,
                blocking=asset in BLOCKING,
                partition=context.partition_key,
            )
        )
