"""Evaluate a candidate version, apply the gate, record everything in the manifests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from ..adapters.base_model import BaseModel
from ..adapters.store import AdapterBundle, AdapterStore
from ..partitions import ReviewerRepo
from ..reviews.backends.retrieval_index import RetrievalIndex
from .evaluate import PRIMARY_SCORES, EvaluationReport, baseline_systems, evaluate
from .gate import GateDecision, decide
from .report import plot
from .systems import GenerativeSystem


@dataclass
class EvaluationOutcome:
    report: EvaluationReport
    decision: GateDecision
    plot: Path


Generate = Callable[[list[list[dict]]], list[str]]


def local_generator(target: ReviewerRepo, base: BaseModel, candidate: AdapterBundle) -> Generate:
    """The candidate adapter run in-process (HF + peft): how the training node evaluates it."""
    from ..reviews.backends.local import LocalBackend

    return LocalBackend(target.reviewer, target.repo, base, candidate.path).generate


def evaluate_and_gate(
    store: AdapterStore,
    target: ReviewerRepo,
    candidate: AdapterBundle,
    examples: pd.DataFrame,
    primary: str,
    adapter: Generate | None = None,
    semantic: bool = True,
) -> EvaluationOutcome:
    """`adapter` generates with the candidate's LoRA; without it only the baselines are scored."""
    if primary not in PRIMARY_SCORES:
        raise ValueError(f"primary score {primary!r} is not one of {', '.join(PRIMARY_SCORES)}")
    index = RetrievalIndex.load(candidate.retrieval_dir)
    systems = baseline_systems(examples, index)
    if candidate.has_lora and adapter is not None:
        systems.insert(0, GenerativeSystem("adapter", adapter, target.reviewer, target.repo, index))
    report = evaluate(examples, systems, semantic=semantic)
    previous = store.current(target)
    decision = decide(candidate, previous, report.systems, primary)
    image = plot(
        report.as_dict(),
        candidate.path / "evaluation.png",
        f"{target.reviewer} in {target.repo}: {report.holdout_comments} held-out comments, "
        f"{report.holdout_hunks} hunks",
    )
    record = {"evaluation": report.as_dict(), "primary_score": primary, "gate": decision.note}
    if decision.promote:
        candidate = store.update_manifest(candidate, **record, serving=decision.serving, serving_note=decision.note)
        store.promote(target, candidate)
    else:
        store.update_manifest(candidate, **record)
        store.update_manifest(previous, serving_note=decision.note, latest_candidate=candidate.version)
    return EvaluationOutcome(report, decision, image)
