"""Choosing how to train on the validation split: early stopping keeps the best adapter, and nothing
that decides (which recipe, how many steps) can read the held-out split."""

from __future__ import annotations

from safetensors.torch import load_file

from techlead_pipeline.adapters.recipe import score_candidate, train_candidate, without_held_out
from techlead_pipeline.adapters.trainer import LoraSettings
from techlead_pipeline.common.partitions import reviewer_repo
from techlead_pipeline.sample.builder import LEAD
from techlead_pipeline_tests.conftest import SAMPLE_REPO

SETTINGS = LoraSettings(
    rank=4,
    alpha=8,
    epochs=1,
    batch_size=8,
    max_seq_len=512,
    lr=3e-3,
    warmup_steps=1,
    max_steps=6,
    eval_every=2,
    patience=2,
    max_train_tokens=20_000,
    prompt_style="short",
    rag_share=0.5,
    rag_examples=2,
)


def poisoned(examples):
    """The same examples with every held-out row rewritten beyond recognition."""
    out = examples.copy()
    held = out["split"] == "holdout"
    out.loc[held, "prompt"] = (
        "File: x.py (Python)\nDiff:\n+garbage\nCode around the marked line (new version):\n>>1 | z"
    )
    out.loc[held, "response"] = "a comment nobody wrote"
    out.loc[held, "key"] = "zzz"
    return out


def test_the_held_out_split_decides_nothing(sample_examples, tiny_base_model, tmp_path):
    examples = sample_examples.examples
    assert (examples["split"] == "holdout").any()
    assert not (without_held_out(examples)["split"] == "holdout").any()
    target = reviewer_repo(LEAD, SAMPLE_REPO)
    clean = train_candidate(examples, target, tiny_base_model, SETTINGS, tmp_path / "clean")
    dirty = train_candidate(poisoned(examples), target, tiny_base_model, SETTINGS, tmp_path / "dirty")
    assert clean.validation_curve == dirty.validation_curve and clean.best_step == dirty.best_step
    a = load_file(tmp_path / "clean" / "adapter_model.safetensors")
    b = load_file(tmp_path / "dirty" / "adapter_model.safetensors")
    assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)


def test_early_stopping_keeps_the_best_step_and_draws_the_curve(sample_examples, tiny_base_model):
    target = reviewer_repo(LEAD, SAMPLE_REPO)
    score = score_candidate("tiny", sample_examples.examples, target, tiny_base_model, SETTINGS)
    steps = [s for s, _ in score.curve]
    assert steps[0] == 0 and steps == sorted(steps) and len(steps) >= 3
    assert score.validation_loss == min(loss for _, loss in score.curve)
    assert score.best_step == min(score.curve, key=lambda c: c[1])[0]
    assert score.validation_loss < score.curve[0][1]  # training helped on data it never saw
