"""Evaluate a candidate version, apply the gate, record everything in the manifests.

Before the held-out pull requests are looked at, each learned way of reviewing gets its
speak-or-stay-silent threshold, chosen on the validation split (calibrate_silence): the held-out
split only measures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..adapters.base_model import BaseModel
from ..adapters.bundle import WHERE_DIR
from ..adapters.store import AdapterBundle, AdapterStore
from ..common.partitions import ReviewerRepo
from ..common.thresholds import best_f05_threshold
from ..reviews.backends.retrieval import RetrievalBackend
from ..reviews.backends.retrieval_index import RetrievalIndex
from ..where.model import WhereModel
from .evaluate import PRIMARY_SCORES, EvaluationReport, baseline_systems, evaluate
from .gate import GATE_RULE, GateDecision, decide
from .report import plot, plot_curve
from .systems import GenerativeSystem

RAG_EXAMPLES = 3  # past comments in a retrieval-augmented prompt (unless the adapter was trained with another k)
RERANK_CANDIDATES = 4  # the lead's nearest past comments the adapter judges
ALWAYS_SPEAK = 1.01  # a threshold above any probability
CALIBRATION_EXAMPLES = 32  # the newest of the validation split: enough to place one threshold


@dataclass
class EvaluationOutcome:
    report: EvaluationReport
    decision: GateDecision
    plot: Path
    curve: Path | None = None  # the validation loss by training step, when the adapter was watched


def calibrate_silence(backend, validation: pd.DataFrame) -> float:
    """The threshold on P(NO_COMMENT) that best tells, on the validation split, the lines the reviewer
    commented on (speak) from those they passed over (stay silent): the best F0.5 of speaking, the
    gate's own measure (common/thresholds.py). Without silences to learn from (crc-py has none),
    always speak."""
    newest = validation.sort_values(["created_at", "example_id"], ascending=[False, True])
    comments = newest[newest["kind"] == "comment"].head(CALIBRATION_EXAMPLES // 2)
    silences = newest[newest["kind"] == "no_comment"].head(CALIBRATION_EXAMPLES - len(comments))
    if comments.empty or silences.empty:
        return ALWAYS_SPEAK
    frame = pd.concat([comments, silences])
    conversations = [backend.conversation(r.prompt, r.key) for r in frame.itertuples(index=False)]
    keep = [i for i, c in enumerate(conversations) if c is not None]
    p_silent = np.array(backend.silence_probability([conversations[i] for i in keep]))
    spoke = np.array([frame.iloc[i]["kind"] == "comment" for i in keep])
    candidates = sorted(set(np.round(p_silent, 4).tolist()) | {ALWAYS_SPEAK})  # the lowest: the most silent
    best_t, _ = best_f05_threshold(candidates, lambda t: p_silent < t, spoke)
    return round(ALWAYS_SPEAK if best_t is None else best_t, 4)


def calibrate_retrieval(index: RetrievalIndex, validation: pd.DataFrame) -> float:
    """Retrieval's similarity threshold, placed like every other system's speak-or-not decision: the
    best F0.5 of speaking on the validation split (a line is spoken to when its nearest memory is a
    comment at least this similar). Without silences there to learn from, always speak."""
    from ..reviews.backends.retrieval_index import ALWAYS_SPEAK as RETRIEVAL_ALWAYS

    if validation.empty or not index.entries:
        return index.threshold  # nothing to place it on: the index's own (training, leave-one-PR-out)
    if not (validation["kind"] == "no_comment").any():
        return RETRIEVAL_ALWAYS
    matches = index.best(list(validation["key"]))
    spoke = np.array([k == "comment" for k in validation["kind"]])
    says = np.array([not m.silent for m in matches])
    scores = np.array([m.score for m in matches])
    candidates = sorted(set(np.round(scores, 4).tolist()) | {RETRIEVAL_ALWAYS}, reverse=True)  # the highest first
    best_t, _ = best_f05_threshold(candidates, lambda t: says & (scores >= t), spoke)
    return round(index.threshold if best_t is None else best_t, 4)


RERANK_PRIORS = (0.0, 1.0, 3.0, 10.0, 100.0)  # weights of retrieval's similarity beside the adapter's likelihood


def calibrate_rerank(backend, validation: pd.DataFrame) -> tuple[float, float | None]:
    """How the adapter judges the lead's past comments, placed on the validation split's newest
    comments: the weight of retrieval's similarity beside the adapter's likelihood (`prior`), and the
    least score at which her past comment is posted instead of the model's words (None: never). The
    pair with the best ROUGE-L there wins; ties go to the smaller prior and to her own words."""
    from ..reviews.backends.generative import Rerank
    from .metrics import rouge_l_items

    newest = validation[validation["kind"] == "comment"].sort_values(["created_at", "example_id"], ascending=False)
    rows = list(newest.head(CALIBRATION_EXAMPLES // 2).itertuples(index=False))
    asked = [(backend.conversation(r.prompt, r.key), r.response) for r in rows]
    asked = [(c, truth) for c, truth in asked if c is not None]
    if not asked:
        return 0.0, None
    conversations, truths = [c for c, _ in asked], [t for _, t in asked]
    written = rouge_l_items(
        [w if isinstance(w, str) else "" for w in backend.generate(conversations, speak=True)], truths
    )
    best_prior, best_t, best = 0.0, None, float(np.mean(written))
    for prior in RERANK_PRIORS:
        backend.rerank = Rerank(backend.rerank.candidates, float("-inf"), prior)
        picks = backend.best_past_comments(conversations)
        own = rouge_l_items([p[0] if p else "" for p in picks], truths)
        scores = [p[1] if p else float("-inf") for p in picks]
        for t in sorted(set(scores) - {float("-inf")}):  # the lowest threshold first: ties go to her words
            value = float(np.mean([o if s >= t else w for o, w, s in zip(own, written, scores)]))
            if value > best + 1e-9 or (best_t is None and value >= best - 1e-9):
                best_prior, best_t, best = prior, round(float(t), 4), value
    return best_prior, best_t


def adapter_backends(target: ReviewerRepo, base: BaseModel, candidate: AdapterBundle, index: RetrievalIndex) -> dict:
    """The candidate's adapter as it would serve: plain (`lora`), retrieval-augmented (`lora+rag`),
    and judging the lead's own nearest past comments (`lora+rerank`)."""
    from ..reviews.backends.generative import Rerank
    from ..reviews.backends.local import LocalBackend

    training = candidate.manifest.get("training") or {}
    k = int(training.get("rag_examples") or RAG_EXAMPLES)
    backends = {
        mode: LocalBackend(
            target.reviewer,
            target.repo,
            base,
            candidate.path,
            RetrievalBackend(index),
            examples=examples,
            prompt_tokens=training.get("max_seq_len"),
            prompt_style=training.get("prompt_style", "full"),
        )
        for mode, examples in (("lora", 0), ("lora+rag", k), ("lora+rerank", 0))
    }
    backends["lora+rerank"].rerank = Rerank(RERANK_CANDIDATES)
    return backends


def learned_systems(backends: dict, index: RetrievalIndex, examples: pd.DataFrame):
    """Each learned way of reviewing with its speak-or-not threshold, calibrated on the validation split."""
    validation = examples[(examples["role"] == "target") & (examples["split"] == "validation")]
    systems, thresholds = [], {}
    for mode, backend in backends.items():
        if hasattr(backend, "silence_probability"):
            backend.silence_threshold = thresholds[mode] = calibrate_silence(backend, validation)
        if getattr(backend, "rerank", None) is not None:
            from ..reviews.backends.generative import Rerank

            prior, min_score = calibrate_rerank(backend, validation)
            backend.rerank = Rerank(backend.rerank.candidates, float("inf") if min_score is None else min_score, prior)
            thresholds["rerank_min_score"], thresholds["rerank_prior"] = min_score, prior
        systems.append(GenerativeSystem(mode, backend, index))
    return systems, thresholds


def evaluate_and_gate(
    store: AdapterStore,
    target: ReviewerRepo,
    candidate: AdapterBundle,
    examples: pd.DataFrame,
    primary: str,
    base: BaseModel | None = None,
    semantic: bool = True,
    backends: dict | None = None,
) -> EvaluationOutcome:
    """With `base` (or `backends`, mode -> generative backend), the candidate's adapter is scored too;
    without, only retrieval and the baselines."""
    if primary not in PRIMARY_SCORES:
        raise ValueError(f"primary score {primary!r} is not one of {', '.join(PRIMARY_SCORES)}")
    index = RetrievalIndex.load(candidate.retrieval_dir)
    validation = examples[(examples["role"] == "target") & (examples["split"] == "validation")]
    index.threshold = calibrate_retrieval(index, validation)
    systems = baseline_systems(examples, index)
    thresholds: dict[str, float] = {}
    if backends is None and candidate.has_lora and base is not None:
        backends = adapter_backends(target, base, candidate, index)
    if backends:
        learned, thresholds = learned_systems(backends, index, examples)
        systems = learned + systems
    key = index.encoder.key.secret if index.encoder.key is not None else None
    where = WhereModel.load(candidate.path / WHERE_DIR, key)
    report = evaluate(examples, systems, semantic=semantic, where=where, index=index, key=key)
    previous = store.current(target)
    decision = decide(candidate, previous, report.as_dict())
    image = plot(
        report.as_dict(),
        candidate.path / "evaluation.png",
        f"{target.reviewer} in {target.repo}: {report.holdout_comments} held-out comments, "
        f"{report.holdout_hunks} hunks",
    )
    training = candidate.manifest.get("training") or {}
    curve = (candidate.manifest.get("metrics") or {}).get("validation_curve") or []
    curve_image = plot_curve(curve, candidate.path / "validation_curve.png", f"{target.reviewer} in {target.repo}")
    record = {
        "evaluation": report.as_dict(),
        "primary_score": primary,
        "gate": decision.note,
        "gate_rule": GATE_RULE,
        "silence_thresholds": {k: v for k, v in thresholds.items() if not k.startswith("rerank_")},
        "rag_examples": int(training.get("rag_examples") or RAG_EXAMPLES),
        "rerank": {
            "candidates": RERANK_CANDIDATES,
            "min_score": thresholds.get("rerank_min_score"),
            "prior": thresholds.get("rerank_prior", 0.0),
        },
        "retrieval_threshold": index.threshold,  # placed on the validation split (the index's own: training)
    }
    if decision.promote:
        candidate = store.update_manifest(candidate, **record, serving=decision.serving, serving_note=decision.note)
        store.promote(target, candidate)
    else:
        store.update_manifest(candidate, **record)
        # The lead's lessons belong to her, not to a model version: the newest ones serve with the
        # adapter that keeps serving (their index, with her turned-down places, is the candidate's).
        lessons = candidate.manifest.get("lessons")
        kept = {"lessons": {**lessons, "index_version": candidate.version}} if lessons is not None else {}
        store.update_manifest(previous, serving_note=decision.note, latest_candidate=candidate.version, **kept)
    return EvaluationOutcome(report, decision, image, curve_image)
