"""Choosing a training recipe on the validation split: each candidate trains on the training split,
is watched (early stopping) and scored on the validation split; the held-out split is removed
before anything runs, so no choice can depend on it.

A candidate's score is its best validation loss (benchmarks/recipe.py ranks the levers by it) and,
when asked, what a review would post on the validation split (posted ROUGE-L of its comments, F1 of
commenting at all on its hunks), measured by the same code that evaluates held-out data
(evaluation/evaluate.py) with the validation split in the held-out split's place.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pandas as pd

from ..common.partitions import ReviewerRepo
from .base_model import BaseModel
from .bundle import VALIDATION_LOSS_EXAMPLES, prompts_as_trained, training_selection
from .torchtune_trainer import TorchtuneLoraTrainer
from .trainer import LoraSettings, TrainingReport, chat_examples


def without_held_out(examples: pd.DataFrame) -> pd.DataFrame:
    """The examples a recipe may be chosen on: training and validation only."""
    return examples[examples["split"].isin(("train", "validation"))].copy()


@dataclass
class RecipeScore:
    name: str
    settings: dict
    validation_loss: float | None
    best_step: int | None
    steps: int
    tokens: int
    tokens_per_second: float
    seconds: float
    padding_share: float
    curve: list
    posted_rouge_l: float | None = None
    when_f1: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def train_candidate(
    examples: pd.DataFrame, target: ReviewerRepo, base: BaseModel, settings: LoraSettings, out_dir: Path
) -> TrainingReport:
    """One candidate recipe trained as build_bundle trains it, on `examples` without held-out rows."""
    frame = without_held_out(examples)
    target_rows = frame[frame["role"] == "target"]
    train = target_rows[target_rows["split"] == "train"]
    validation = target_rows[target_rows["split"] == "validation"]
    pool = train[train["kind"] == "comment"]
    chosen = prompts_as_trained(training_selection(train, settings.max_train_comments), target, settings, pool)
    watched = prompts_as_trained(training_selection(validation, VALIDATION_LOSS_EXAMPLES // 2), target, settings, pool)
    trainer = TorchtuneLoraTrainer(base, settings)
    return trainer.train(chat_examples(chosen), [], out_dir, validation=chat_examples(watched))


def score_candidate(
    name: str,
    examples: pd.DataFrame,
    target: ReviewerRepo,
    base: BaseModel,
    settings: LoraSettings,
    generate: bool = False,
) -> RecipeScore:
    with tempfile.TemporaryDirectory(prefix="recipe-") as tmp:
        started = time.perf_counter()
        report = train_candidate(examples, target, base, settings, Path(tmp))
        seconds = time.perf_counter() - started
        best = min((loss for _, loss in report.validation_curve), default=None)
        score = RecipeScore(
            name,
            settings.as_dict(),
            best,
            report.best_step,
            report.steps,
            report.tokens,
            report.tokens_per_second,
            round(seconds, 1),
            report.padding_share,
            report.validation_curve,
        )
        if generate:
            score.posted_rouge_l, score.when_f1 = _validation_review_scores(examples, target, base, settings, Path(tmp))
    return score


def _validation_review_scores(examples, target, base, settings, adapter_dir: Path) -> tuple[float | None, float | None]:
    """What the adapter would post on the validation split, scored as held-out data is scored."""
    from ..evaluation.evaluate import evaluate
    from ..evaluation.run import calibrate_silence
    from ..evaluation.systems import GenerativeSystem
    from ..reviews.backends.local import LocalBackend
    from ..reviews.backends.retrieval import RetrievalBackend
    from ..reviews.backends.retrieval_index import RetrievalIndex
    from .bundle import index_entries

    frame = without_held_out(examples)
    train = frame[(frame["role"] == "target") & (frame["split"] == "train")]
    index = RetrievalIndex.build(list(train["key"]), index_entries(train))
    backend = LocalBackend(
        target.reviewer,
        target.repo,
        base,
        adapter_dir,
        RetrievalBackend(index),
        prompt_tokens=settings.max_seq_len,
        prompt_style=settings.prompt_style,
    )
    # The validation split stands where the held-out split would. Its speak-or-not threshold is placed
    # on the same split: optimistic, and equally so for every candidate, which is all a ranking needs.
    backend.silence_threshold = calibrate_silence(
        backend, frame[(frame["role"] == "target") & (frame["split"] == "validation")]
    )
    scored = frame.assign(split=frame["split"].replace({"validation": "holdout"}))
    report = evaluate(scored, [GenerativeSystem("lora", backend, index)], semantic=False)
    row = report.systems["lora"]
    return row.get("posted_rouge_l"), row.get("when_f1")


def retrieval_validation_scores(examples: pd.DataFrame) -> tuple[float | None, float | None]:
    """The baseline on the same footing: retrieval's posted ROUGE-L and when-F1 on the validation split."""
    from ..evaluation.evaluate import evaluate
    from ..evaluation.systems import RetrievalSystem
    from ..reviews.backends.retrieval_index import RetrievalIndex
    from .bundle import index_entries

    frame = without_held_out(examples)
    train = frame[(frame["role"] == "target") & (frame["split"] == "train")]
    index = RetrievalIndex.build(list(train["key"]), index_entries(train))
    scored = frame.assign(split=frame["split"].replace({"validation": "holdout"}))
    row = evaluate(scored, [RetrievalSystem("retrieval", index)], semantic=False).systems["retrieval"]
    return row.get("posted_rouge_l"), row.get("when_f1")


def variant(settings: LoraSettings, **changes) -> LoraSettings:
    return replace(settings, **changes)
