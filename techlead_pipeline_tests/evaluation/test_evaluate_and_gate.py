"""The evaluation compares every system on the same held-out data; the gate decides what serves."""

from __future__ import annotations

import re

import pandas as pd

from techlead_pipeline.adapters.bundle import build_bundle
from techlead_pipeline.adapters.store import AdapterStore
from techlead_pipeline.common.partitions import reviewer_repo
from techlead_pipeline.evaluation.evaluate import baseline_systems, evaluate
from techlead_pipeline.evaluation.gate import GATE_RULE, decide, why_not
from techlead_pipeline.evaluation.run import evaluate_and_gate
from techlead_pipeline.reviews.backends.generative import GenerativeBackend
from techlead_pipeline.reviews.backends.retrieval_index import RetrievalIndex
from techlead_pipeline.reviews.lessons import Lessons
from techlead_pipeline.reviews.service import summary_text
from techlead_pipeline.training_data.keys import retrieval_key
from techlead_pipeline.training_data.prompts import NO_COMMENT
from techlead_pipeline_tests.where.shapes import DEBUG_ASK, real_shaped_examples

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


def row(f05, posted=10, noise=0, precision=None, lift_low=3.0, rate=0.1, unfit=0):
    precision = f05 if precision is None else precision
    return {
        "hunks": 100,
        "lead_commented": 10,
        "rate": rate,
        "posted": posted,
        "noise": noise,
        "unfit": unfit,
        "f05": f05,
        "precision": precision,
        "recall": f05,
        "lift": round(precision / rate, 2),
        "lift_low": lift_low,
        "lift_high": 9.0,
    }


GOOD_CONCERN = {
    "hits": 6,
    "semantic": 0.6,
    "floors": {"a random comment of hers": {"semantic": 0.2}, "her most frequent comment": {"semantic": 0.25}},
    "versus": {
        "a random comment of hers": {"semantic": {"difference": 0.4, "low": 0.2, "high": 0.5}},
        "her most frequent comment": {"semantic": {"difference": 0.35, "low": 0.1, "high": 0.5}},
    },
}


def evaluation(versus=None, concern=None, **rows):
    """An evaluation whose ways scored these rows (a number: that F0.5, precision alike);
    differences without intervals unless given; every way with words says her concern."""
    names = {
        "lora_rag": "lora+rag",
        "lora_rerank": "lora+rerank",
        "where_lora_rag": "where-model + lora+rag",
        "where_lora_rerank": "where-model + lora+rerank",
        "where_list": "where-model (ranked list)",
        "plain_baseline_ranked_list": "plain baseline (ranked list)",
    }
    hunks = {}
    for name, value in rows.items():
        name = names.get(name, name.replace("where_", "where-model + ").replace("_", " "))
        hunks[name] = value if isinstance(value, dict) else row(value)
    hunks.setdefault("always speaking", row(0.12, posted=100, precision=0.1, lift_low=1.0))
    hunks.setdefault("plain baseline (ranked list)", row(0.3))
    diffs = {
        name: {o: {"difference": r["f05"] - hunks[o]["f05"], "low": None, "high": None} for o in hunks if o != name}
        for name, r in hunks.items()
    }
    for name, against in (versus or {}).items():
        diffs[name].update(against)
    said = {name: GOOD_CONCERN for name in hunks if "ranked list" not in name}
    said.update(concern or {})
    return {"hunks": hunks, "versus": diffs, "holdout_prs": 6, "concern": said}


def test_gate_serves_the_best_way_that_clears_twice_her_rate(tmp_path):
    store = AdapterStore(tmp_path)
    candidate = bundle_with(store, True, "r1")
    win = decide(candidate, None, evaluation(where_lora=0.6, where_retrieval=0.5))
    assert (win.promote, win.serving) == (True, "where+lora") and "6.0× her comment rate" in win.note
    placed = decide(candidate, None, evaluation(where_lora=0.6, where_lora_rag=0.7, where_retrieval=0.5))
    assert placed.serving == "where+lora+rag"  # the best F0.5 of those that pass serves
    # A writer deciding where to speak by itself is measured, never served: the where-model places words.
    assert decide(candidate, None, evaluation(lora=0.9, retrieval=0.9)).serving == "silent"
    # Under twice her rate, or with an interval of lift reaching 1x, a way does not serve.
    weak = evaluation(where_lora=row(0.5, precision=0.18), where_retrieval=row(0.4, lift_low=0.9))
    assert decide(candidate, None, weak).serving == "silent"
    assert "under 0.20" in why_not("where+lora", weak)
    assert "reaching down to 0.9×" in why_not("where+retrieval", weak)
    # A lead who comments on most hunks: twice her rate is out of reach, halfway to perfect is the bar.
    busy = evaluation(
        where_retrieval=row(0.9, precision=0.85, rate=0.6),
        always_speaking=row(0.6, precision=0.6, rate=0.6),
        plain_baseline_ranked_list=row(0.8, precision=0.8, rate=0.6),
    )
    assert decide(candidate, None, busy).serving == "where+retrieval"
    # It must beat always speaking by the interval where there is one, and not fall below the plain baseline.
    unsure = {"where-model + lora": {"always speaking": {"difference": 0.1, "low": -0.05, "high": 0.3}}}
    assert decide(candidate, None, evaluation(versus=unsure, where_lora=0.6)).serving == "silent"
    assert decide(candidate, None, evaluation(where_lora=0.25)).serving == "silent"  # under the baseline's 0.30
    worse = {"lora": {"plain baseline (ranked list)": {"difference": -0.2, "low": -0.4, "high": -0.05}}}
    assert "fell below plain baseline" in why_not("lora", evaluation(versus=worse, lora=0.6))
    level = {"lora": {"plain baseline (ranked list)": {"difference": -0.03, "low": -0.09, "high": 0.0}}}
    assert why_not("lora", evaluation(versus=level, lora=0.6)) is None  # not shown worse
    # The where-model's list must point at her hunks at least as surely as the baseline's list.
    vague = evaluation(where_list=row(0.5, precision=0.4), plain_baseline_ranked_list=row(0.45, precision=0.5))
    assert "under the plain baseline's 0.50" in why_not("where-list", vague)


def test_words_serve_only_above_her_floors_else_the_ranked_list(tmp_path):
    store = AdapterStore(tmp_path)
    candidate = bundle_with(store, True, "r1")
    generic = {
        **GOOD_CONCERN,
        "versus": {
            **GOOD_CONCERN["versus"],
            "her most frequent comment": {"semantic": {"difference": 0.01, "low": -0.05, "high": 0.08}},
        },
    }
    shown = evaluation(concern={"where-model + lora": generic}, where_lora=0.6, where_list=0.6)
    decision = decide(candidate, None, shown)
    assert decision.serving == "where-list" and "`where-list` is serving" in decision.note
    assert "no nearer what she wrote than her most frequent comment" in why_not("where+lora", shown)
    too_few = evaluation(
        concern={"lora": {"hits": 3, "versus": {"x": {"semantic": {"difference": 0.3, "low": None}}}, "semantic": 0.5}},
        lora=0.6,
    )
    assert "too few" in why_not("lora", too_few)


def test_gate_chooses_silence_when_every_way_misses_a_bar(tmp_path):
    store = AdapterStore(tmp_path)
    candidate = bundle_with(store, True, "r1")
    worse = decide(candidate, None, evaluation(where_lora=0.1, where_lora_rerank=0.15, where_retrieval=0.05))
    assert (worse.promote, worse.serving) == (True, "silent")
    assert "under 0.20" in worse.note and "I say nothing" in worse.note
    # More than 1 draft in 10 below the floor: its writer is not trusted, however well the rest scores.
    noisy = evaluation(where_lora=row(0.9, noise=2), where_retrieval=0.6)
    assert decide(candidate, None, noisy).serving == "where+retrieval"
    assert "2 of its 10 drafts did not read as a review" in why_not("where+lora", noisy)
    # A version that passed this gate keeps serving over a worse retrain; one that passed the old gate does not.
    previous = bundle_with(store, True, "r0")
    assert decide(candidate, previous, evaluation(where_lora=0.1, where_retrieval=0.05)).serving == "silent"
    previous = store.update_manifest(previous, gate_rule=GATE_RULE, serving="where+lora+rerank")
    keep = decide(candidate, previous, evaluation(where_lora=0.1, where_retrieval=0.05))
    assert keep.promote is False and keep.serving == "where+lora+rerank" and previous.version in keep.note
    # Nothing measured (no held-out hunks): nothing can be shown to beat silence.
    assert decide(candidate, None, {"hunks": {}, "versus": {}}).serving == "silent"


def test_evaluate_and_gate_records_the_decision_where_the_pr_reply_reads_it(tmp_path, home):
    store = AdapterStore(tmp_path)
    frame = real_shaped_examples()  # 24 pull requests, her comments on ~1 hunk in 10, 6 held out

    def candidate(run: str, frame=frame):
        bundle = build_bundle(store, TARGET, frame, run, base=None, lora=None)
        (bundle.path / "adapter_model.safetensors").write_bytes(b"w")  # stands for a trained LoRA
        return bundle

    def her_habit(conversation):  # an adapter that learned her habit, and no more
        found = re.search(r'print\("DEBUG", (\w+)\)', conversation[1]["content"])
        return DEBUG_ASK.format(name=found.group(1)) if found else NO_COMMENT

    first = candidate("r1")
    assert first.manifest["where"]["learned"] and (first.path / "where" / "where.joblib").exists()
    outcome = evaluate_and_gate(
        store, TARGET, first, frame, "rouge_l", semantic=False, backends={"lora": ScriptedBackend(her_habit)}
    )
    hunks = outcome.report.hunks
    rate = hunks["always speaking"]["rate"]
    assert hunks["always speaking"]["posted"] == hunks["always speaking"]["hunks"] == 84 and 0.05 < rate < 0.15
    assert hunks["saying nothing"]["posted"] == 0
    for way in ("plain baseline (ranked list)", "where-model (ranked list)", "where-model + lora", "lora"):
        assert hunks[way]["lift"] is not None and hunks[way]["lift_low"] is not None, way
    # Her words on her hunks (her adapter's, or her own adapted to the line): nearer what she wrote
    # than her most frequent comment, so a way with words serves, at several times her rate.
    serving = outcome.decision.serving
    assert serving in ("where+lora", "where+retrieval"), outcome.decision.note  # placed by the where-model
    served = hunks[
        {"where+lora": "where-model + lora", "where+retrieval": "where-model + retrieval"}.get(serving, serving)
    ]
    assert served["precision"] >= 2 * rate and served["lift_low"] > 1.0
    # What it says on its hits, against her floors: her most frequent comment is not her only one here.
    concern = outcome.report.concern["lora"]
    assert concern["rouge_l"] == 1.0 and concern["floors"]["a random comment of hers"]["rouge_l"] < 1.0
    assert outcome.report.where["rankers"]["where-model"]["top_tenth"]["precision"] is not None
    assert store.current(TARGET).version == first.version and outcome.plot.exists()

    store.update_manifest(store.current(TARGET), serving="lora")  # as if the adapter had been the one to serve
    textless = frame.drop(columns=["hunk_text"])  # a retrain with no where-model: its only learned way is its adapter
    second = candidate("r2", textless)
    assert not second.manifest["where"]["learned"]
    blurry = ScriptedBackend(lambda conversation: "No, no, no, no, no, no")
    outcome = evaluate_and_gate(store, TARGET, second, textless, "rouge_l", semantic=False, backends={"lora": blurry})
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
