"""The evaluation compares every system on the same held-out data; the gate decides what serves."""

from __future__ import annotations

import pandas as pd

from techlead_pipeline.adapters.bundle import build_bundle
from techlead_pipeline.adapters.store import AdapterStore
from techlead_pipeline.common.partitions import reviewer_repo
from techlead_pipeline.evaluation.evaluate import baseline_systems, evaluate
from techlead_pipeline.evaluation.gate import decide, why_not
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


def row(f05, posted=4, noise=0):
    return {
        "hunks": 20,
        "lead_commented": 2,
        "posted": posted,
        "noise": noise,
        "f05": f05,
        "precision": f05,
        "recall": f05,
    }


def evaluation(versus=None, **f05s):
    """An evaluation whose systems scored these F0.5; differences without intervals unless given."""
    hunks = {name.replace("_", " ").replace("lora rag", "lora+rag"): row(v) for name, v in f05s.items()}
    hunks.setdefault("always speaking", row(0.2, posted=20))
    diffs = {
        name: {o: {"difference": r["f05"] - hunks[o]["f05"], "low": None, "high": None} for o in hunks if o != name}
        for name, r in hunks.items()
    }
    for name, against in (versus or {}).items():
        diffs[name].update(against)
    return {"hunks": hunks, "versus": diffs, "holdout_prs": 3}


def test_gate_serves_only_what_beats_always_speaking_and_retrieval(tmp_path):
    store = AdapterStore(tmp_path)
    candidate = bundle_with(store, True, "r1")
    win = decide(candidate, None, evaluation(lora=0.6, retrieval=0.5))
    assert (win.promote, win.serving) == (True, "lora") and "beat always speaking" in win.note
    rag = decide(candidate, None, evaluation(lora=0.6, lora_rag=0.7, retrieval=0.5))
    assert rag.serving == "lora+rag"  # the best of those that pass serves
    lose = decide(candidate, None, evaluation(lora=0.4, retrieval=0.5))
    assert (lose.promote, lose.serving) == (True, "retrieval")
    tie = decide(candidate, None, evaluation(lora=0.5, retrieval=0.5))
    assert tie.serving == "retrieval"  # must beat, not match
    # Where the held-out set allows an interval, the interval decides, not the point estimate.
    unsure = {"lora": {"retrieval": {"difference": 0.1, "low": -0.05, "high": 0.3}}}
    assert decide(candidate, None, evaluation(versus=unsure, lora=0.6, retrieval=0.5)).serving == "retrieval"


def test_gate_chooses_silence_when_every_system_is_worse(tmp_path):
    store = AdapterStore(tmp_path)
    candidate = bundle_with(store, True, "r1")
    worse = decide(candidate, None, evaluation(lora=0.1, lora_rerank=0.15, retrieval=0.05))
    assert (worse.promote, worse.serving) == (True, "silent")
    assert "did not beat always speaking's 0.20" in worse.note and "I say nothing" in worse.note
    # Noise disqualifies, however well the rest scores: "No, no, no" is never served.
    noisy = evaluation(lora=0.9, retrieval=0.3)
    noisy["hunks"]["lora"]["noise"] = 1
    assert decide(candidate, None, noisy).serving == "retrieval"
    assert "1 of its 4 comments did not read as a review" in why_not("lora", noisy)
    # A version that passed this gate keeps serving over a worse retrain; one that passed the old gate does not.
    previous = bundle_with(store, True, "r0")
    assert decide(candidate, previous, evaluation(lora=0.1, retrieval=0.05)).serving == "silent"
    previous = store.update_manifest(previous, gate_rule="hunk-f05", serving="lora+rerank")
    keep = decide(candidate, previous, evaluation(lora=0.1, retrieval=0.05))
    assert keep.promote is False and keep.serving == "lora+rerank" and previous.version in keep.note
    # Nothing measured (no held-out hunks): nothing can be shown to beat silence.
    assert decide(candidate, None, {"hunks": {}, "versus": {}}).serving == "silent"


def test_evaluate_and_gate_records_the_decision_where_the_pr_reply_reads_it(tmp_path, home):
    store = AdapterStore(tmp_path)
    frame = examples()
    held_out = "nit: `q is None`, please."  # worded unlike anything retrieval remembers
    frame.loc[(frame["split"] == "holdout") & (frame["kind"] == "comment"), "response"] = held_out

    def candidate(run: str):
        bundle = build_bundle(store, TARGET, frame, run, base=None, lora=None)
        (bundle.path / "adapter_model.safetensors").write_bytes(b"w")  # stands for a trained LoRA
        return bundle

    # Retrieval speaks on a held-out hunk the lead left alone (it looks like her past comments' code).
    extra = frame[(frame["split"] == "holdout") & (frame["kind"] == "comment")].copy()
    extra = extra.assign(
        kind="no_comment",
        response=NO_COMMENT,
        chunk_id="9:a.py:2:0",
        comment_id=pd.NA,
        example_id="x",
        prompt="code: if z == None:",
        key=retrieval_key(["if z == None:"], 0),
    )
    frame = pd.concat([frame, extra], ignore_index=True)

    def perfect(conversation):  # an adapter that writes exactly what the lead wrote
        return held_out if "q == None" in conversation[1]["content"] else NO_COMMENT

    first = candidate("r1")
    outcome = evaluate_and_gate(
        store, TARGET, first, frame, "rouge_l", semantic=False, backends={"lora": ScriptedBackend(perfect)}
    )
    assert outcome.decision.serving == "lora" and outcome.report.systems["lora"]["when_f1"] == 1.0
    assert outcome.report.systems["lora"]["posted_rouge_l"] == 1.0
    hunks = outcome.report.hunks
    assert (hunks["lora"]["hits"], hunks["lora"]["false_alarms"], hunks["lora"]["f05"]) == (1, 0, 1.0)
    assert hunks["retrieval"]["false_alarms"] == 1 and hunks["saying nothing"]["posted"] == 0
    assert hunks["always speaking"]["posted"] == hunks["always speaking"]["hunks"] == 3
    assert store.current(TARGET).version == first.version and outcome.plot.exists()

    second = candidate("r2")
    blurry = ScriptedBackend(lambda conversation: "No, no, no, no, no, no")
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
