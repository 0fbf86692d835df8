"""Assets of stages 2 and 3: the training examples and the per-(reviewer, repo) adapter."""
# No `from __future__ import annotations` in asset modules: Dagster reads the context annotation.

import dagster as dg

from ...adapters.bundle import build_bundle
from ...asset_check_rules import Verdict
from ...asset_check_rules.adapter import vllm_loadable
from ...asset_check_rules.dataset import dataset_verdicts
from ...common import progress
from ...common.errors import NoReviewHistoryError
from ...common.partitions import from_key, reviewer_repo_partitions
from ...evaluation.card import reviewer_card
from ...evaluation.gate import learned as serves_learned
from ...evaluation.report import markdown_table
from ...evaluation.run import evaluate_and_gate
from ...training_data.examples import build_examples
from ..resources import AdapterTraining, PipelineSettings, max_lora_rank, served_model_name
from .checks import check_results, check_specs, log_failed_checks
from .gpu_tags import H100_TRAINING
from .history import code_contexts
from .steps import workspace_step


@dg.asset(
    partitions_def=reviewer_repo_partitions,
    group_name="training",
    kinds={"parquet"},
    deps=[code_contexts],
    check_specs=check_specs("training_examples"),
    description="Prompt/response pairs in OpenAI chat format, the newest ~10% of pull requests held out. "
    "Run-scoped and encrypted.",
)
def training_examples(context: dg.AssetExecutionContext, pipeline: PipelineSettings) -> dg.MaterializeResult:
    target = from_key(context.partition_key)
    settings = pipeline.settings()
    with workspace_step(context, pipeline) as workspace:
        history = workspace.read_json("history")
        examples = build_examples(
            workspace.read_frame("review_comments"),
            workspace.read_frame("code_contexts"),
            workspace.read_frame("pull_chunks"),
            history["authored_prs"],
            target.reviewer,
            target.repo,
            holdout_fraction=settings.holdout_fraction,
            validation_fraction=settings.validation_fraction,
            feedback=workspace.read_frame("judged_bot_comments"),
        )
        counts = examples.counts()
        verdicts = dataset_verdicts(examples.examples, settings.min_examples)
        if not verdicts[0].passed:  # the user is told why on the pull request; the check shows it in the UI
            log_failed_checks(context, "training_examples", verdicts)
            usable = verdicts[0].metadata["usable_comments"]
            raise NoReviewHistoryError(target.reviewer, target.repo, found=usable, needed=settings.min_examples)
        workspace.write_frame("training_examples", examples.examples)
    return dg.MaterializeResult(
        metadata={
            **counts,
            "dropped": dg.MetadataValue.json(dict(examples.dropped)),
            "dataset_fingerprint": examples.fingerprint(),
        },
        check_results=check_results("training_examples", verdicts),
    )


@dg.asset(
    partitions_def=reviewer_repo_partitions,
    group_name="training",
    kinds={"pytorch"},
    deps=[training_examples],
    op_tags=H100_TRAINING,
    check_specs=check_specs("reviewer_adapter"),
    description="A LoRA adapter on the base model (torchtune) and the retrieval index, written as a new "
    "version of the adapter cache (PEFT format). Served only once reviewer_evaluation passes it.",
)
def reviewer_adapter(
    context: dg.AssetExecutionContext, pipeline: PipelineSettings, training: AdapterTraining
) -> dg.MaterializeResult:
    target = from_key(context.partition_key)
    store = pipeline.adapter_store()
    with workspace_step(context, pipeline) as workspace:
        base = training.base_model(pipeline.settings().home) if training.kind == "torchtune" else None
        bundle = build_bundle(
            store,
            target,
            workspace.read_frame("training_examples"),
            context.run.run_id,
            base=base,
            lora=training.lora_settings(base) if base is not None else None,
            encoder=training.retrieval_encoder,
            progress=lambda step, total, loss: _progress(context, step, total, loss),
        )
        workspace.write_json("candidate", {"version": bundle.version})
    verdicts = vllm_loadable(bundle, served_model_name(base), max_lora_rank())
    metrics = bundle.manifest.get("metrics", {})
    return dg.MaterializeResult(
        metadata={
            "version": bundle.version,
            "path": str(bundle.path),
            "trainer": bundle.manifest["trainer"],
            "retrieval_threshold": bundle.manifest["retrieval"]["threshold"],
            **{
                k: metrics[k]
                for k in (
                    "steps",
                    "tokens",
                    "tokens_per_second",
                    "seconds",
                    "eval_loss_before",
                    "eval_loss_after",
                    "device",
                    "dtype",
                    "peak_memory_gb",
                    "best_step",
                    "stopped_early",
                    "padding_share",
                )
                if metrics.get(k) is not None
            },
            "validation_curve": dg.MetadataValue.json(metrics.get("validation_curve") or []),
            # where she comments (where/model.py): its out-of-fold figures and what carries it, or why none
            "where_model": dg.MetadataValue.json(bundle.manifest.get("where") or {}),
            # files the lead turned the bot down on: left out of its reviews (reviews/lessons.py)
            "turned_down_files": dg.MetadataValue.json(
                (bundle.manifest.get("lessons") or {}).get("turned_down_files") or {}
            ),
        },
        check_results=check_results("reviewer_adapter", verdicts),
    )


def _progress(context, step: int, total: int, loss: float) -> None:
    progress.report("training", step, total, f"loss {loss:.3f}")
    if step % 10 == 0 or step == total:
        context.log.info(f"step {step}/{total} loss {loss:.3f}")


@dg.asset(
    partitions_def=reviewer_repo_partitions,
    group_name="training",
    kinds={"pytorch"},
    deps=[reviewer_adapter],
    op_tags=H100_TRAINING,
    check_specs=check_specs("reviewer_evaluation"),
    description="The candidate adapter and the baselines (retrieval, another reviewer's nearest comment, most "
    "frequent comment) on the held-out pull requests; the gate then decides what serves.",
)
def reviewer_evaluation(
    context: dg.AssetExecutionContext, pipeline: PipelineSettings, training: AdapterTraining
) -> dg.MaterializeResult:
    target = from_key(context.partition_key)
    settings = pipeline.settings()
    store = pipeline.adapter_store()
    with workspace_step(context, pipeline) as workspace:
        candidate = store.version(target, workspace.read_json("candidate")["version"])
        examples = workspace.read_frame("training_examples")
        outcome = evaluate_and_gate(
            store,
            target,
            candidate,
            examples,
            settings.primary_score,
            base=training.base_model(settings.home) if candidate.has_lora else None,
            semantic=settings.semantic_metric,
        )
    report, decision = outcome.report, outcome.decision
    train = examples[(examples["role"] == "target") & (examples["split"] == "train") & (examples["kind"] == "comment")]
    card = reviewer_card(
        target.reviewer,
        target.repo,
        report.as_dict(),
        list(train["response"]),
        outcome.plot,
        outcome.curve,
        decision.note,
    )
    learned = Verdict(
        "learned_reviewer_serves",
        serves_learned(decision.serving),
        decision.note,
        {"serving": decision.serving, "scores": dg.MetadataValue.md(markdown_table(report.as_dict()))},
    )
    return dg.MaterializeResult(
        metadata={
            "decision": decision.note,
            "serving": decision.serving,
            "promoted": decision.promote,
            "primary_score": settings.primary_score,
            "holdout_comments": report.holdout_comments,
            "holdout_hunks": report.holdout_hunks,
            "scores": dg.MetadataValue.md(markdown_table(report.as_dict())),
            "reviewer_card": dg.MetadataValue.md(card),
            "results": dg.MetadataValue.json(report.as_dict()),
            "plot": dg.MetadataValue.path(str(outcome.plot)),
        },
        check_results=check_results("reviewer_evaluation", [learned], severity=dg.AssetCheckSeverity.WARN),
    )
