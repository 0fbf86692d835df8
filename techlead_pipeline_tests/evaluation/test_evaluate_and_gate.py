"""The evaluation compares every system on the same held-out data; the gate decides what serves."""

from __future__ import annotations

import pandas as pd

from techlead_pipeline.adapters.bundle import build_bundle
from techlead_pipeline.adapters.store import AdapterStore
from techlead_pipeline.common.partitions import reviewer_repo
from techlead_pipeline.evaluation.evaluate import baseline_systems, evaluate
from techlead_pipeline.evaluation.gate import decide
from techlead_pipeline.evaluation.run import evaluate_and_gate
from techlead_pipeline.reviews.backends.generative import GenerativeBackend
from techlead_pipeline.reviews.backends.retrieval_index import RetrievalIndex
from techlead_pipeline.reviews.lessons import Lessons
from techlead_pipeline.reviews.service import summary_text
from techlead_pipeline.training_data.keys import retrieval_key
from techlead_pipeline.training_data.prompts import NO_COMMENT

TARGET = reviewer_repo("lead", "o/r")


def examples() -> pd.DataFrame:
    rows = []

    def add(role, kind, pr, split, line, response, chunk=None):
        rows.append(
            {
                "example_id": f"{len(rows)}",
                "role": role,
                "kind": kind,
                "user": "lead" if role == "target" else "other",
                "pull_number": pr,
                "chunk_id": chunk,
                "created_at": None,
                "path": "a.py",
                "language": "Python",
                "side": "RIGHT",
                "focus_line": 1,
                "comment_id": len(rows) if kind == "comment" else None,
                "system": "sys",
                "prompt": f"code: {line}",
                "key": retrieval_key([line], 0),
                "response": response,
                "split": split,
            }
        )

    for pr, var in enumerate(["a", "b", "c", "d", "e", "f"]):
        add("target", "comment", pr, "train", f"if {var} == None:", "nit: `is None`, not `== None`.")
        add("target", "comment", pr, "train", f'print("DEBUG", {var})', "leftover debug `print`.")
        add("target", "no_comment", pr, "train", f"total = sum({var})", NO_COMMENT)
        add("other", "comment", pr, "train", f"x_{var} = compute()", "Could you please add a docstring?")
    # held out: one hunk the lead commented on, one she passed over
    add("target", "comment", 9, "holdout", "if q == None:", "nit: `is None`, not `== None`.", chunk="9:a.py:0:0")
    add("target", "no_comment", 9, "holdout", "total = sum(q)", NO_COMMENT, chunk="9:a.py:0:0")
    add("target", "no_comment", 9, "holdout", "total = sum(r)", NO_COMMENT, chunk="9:a.py:1:0")
    frame = pd.DataFrame(rows)
    frame["comment_id"] = frame["comment_id"].astype("Int64")
    return frame


def test_every_system_is_scored_on_the_same_data():
    frame = examples()
    train = frame[(frame["role"] == "target") & (frame["split"] == "train")]
    index = RetrievalIndex.build(
        list(train["key"]), [{"response": r, "pull_number": p} for r, p in zip(train["response"], train["pull_number"])]
    )
    report = evaluate(frame, baseline_systems(frame, index), semantic=False)
    assert report.holdout_comments == 1 and report.holdout_hunks == 2
    retrieval = report.systems["retrieval"]
    assert retrieval["bleu4"] == 100.0 and retrieval["rouge_l"] == 1.0
    assert (retrieval["when_precision"], retrieval["when_recall"]) == (1.0, 1.0)  # spoke on 1 of 2 hunks, rightly
    frequent = report.systems["most frequent comment"]
    assert frequent["when_precision"] == 0.5 and frequent["when_recall"] == 1.0  # always speaks
    other = report.systems["another reviewer's nearest comment"]
    assert other["rouge_l"] == 0.0 and other["voice"] < retrieval["voice"]


def bundle_with(store, lora: bool, run: str):
    staging = store.staging(TARGET, run)
    if lora:
        (staging / "adapter_model.safetensors").write_bytes(b"w")
    return store.commit(TARGET, staging, {"serving": "lora" if lora else "retrieval"})


def test_gate_in_both_directions(tmp_path):
    store = AdapterStore(tmp_path)
    candidate = bundle_with(store, True, "r1")
    win = decide(candidate, None, {"lora": {"rouge_l": 0.6}, "retrieval": {"rouge_l": 0.5}}, "rouge_l")
    assert (win.promote, win.serving) == (True, "lora") and "beat retrieval" in win.note
    rag = decide(
        candidate,
        None,
        {"lora": {"rouge_l": 0.6}, "lora+rag": {"rouge_l": 0.7}, "retrieval": {"rouge_l": 0.5}},
        "rouge_l",
    )
    assert rag.serving == "lora+rag"  # the best learned way serves
    lose = decide(candidate, None, {"lora": {"rouge_l": 0.4}, "retrieval": {"rouge_l": 0.5}}, "rouge_l")
    assert (lose.promote, lose.serving) == (True, "retrieval") and "retrieval" in lose.note
    previous = bundle_with(store, True, "r0")
    keep = decide(candidate, previous, {"lora": {"rouge_l": 0.4}, "retrieval": {"rouge_l": 0.5}}, "rouge_l")
    assert keep.promote is False and previous.version in keep.note
    tie = decide(candidate, None, {"lora": {"rouge_l": 0.5}, "retrieval": {"rouge_l": 0.5}}, "rouge_l")
    assert tie.serving == "retrieval"  # must beat, not match


def test_evaluate_and_gate_records_the_decision_where_the_pr_reply_reads_it(tmp_path, home):
    store = AdapterStore(tmp_path)
    frame = examples()
    held_out = "nit: `q is None`, please."  # worded unlike anything retrieval remembers
    frame.loc[(frame["split"] == "holdout") & (frame["kind"] == "comment"), "response"] = held_out

    def candidate(run: str):
        bundle = build_bundle(store, TARGET, frame, run, base=None, lora=None)
        (bundle.path / "adapter_model.safetensors").write_bytes(b"w")  # stands for a trained LoRA
        return bundle

    def perfect(conversation):  # an adapter that writes exactly what the lead wrote
        return held_out if "q == None" in conversation[1]["content"] else NO_COMMENT

    first = candidate("r1")
    outcome = evaluate_and_gate(
        store, TARGET, first, frame, "rouge_l", semantic=False, backends={"lora": ScriptedBackend(perfect)}
    )
    assert outcome.decision.serving == "lora" and outcome.report.systems["lora"]["when_f1"] == 1.0
    assert outcome.report.systems["lora"]["posted_rouge_l"] == 1.0
    assert store.current(TARGET).version == first.version and outcome.plot.exists()

    second = candidate("r2")
    blurry = ScriptedBackend(lambda conversation: "the logo is blurry")
    outcome = evaluate_and_gate(store, TARGET, second, frame, "rouge_l", semantic=False, backends={"lora": blurry})
    assert outcome.decision.promote is False
    served = store.current(TARGET)
    assert served.version == first.version and "keeps serving" in served.manifest["serving_note"]
    assert "keeps serving" in summary_text(TARGET, served, "local", [], 3, [])
    assert store.version(TARGET, second.version).manifest["evaluation"]["systems"]["lora"]["rouge_l"] < 0.5
    # The lead's newest lessons serve with the adapter that keeps serving, their index the candidate's.
    assert served.manifest["lessons"]["index_version"] == second.version
    lessons = Lessons.of_bundle(served)
    assert lessons.index is not None and lessons.index.entries == RetrievalIndex.load(second.retrieval_dir).entries


class ScriptedBackend(GenerativeBackend):
    """A generative backend whose model is a function of the conversation (no weights needed)."""

    def __init__(self, answer):
        super().__init__("lead", "o/r")
        self.answer = answer

    def generate(self, conversations, speak=False):
        return [self.answer(c) for c in conversations]
