"""Evaluating the systems of one (reviewer, repo) on its held-out pull requests."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from ..adapters.bundle import index_entries
from ..common import progress
from ..reviews.backends.retrieval_index import RetrievalIndex
from ..reviews.fit import grounded, points_at
from ..reviews.floor import floor_reason
from ..training_data.prompts import NO_COMMENT
from .concern import concern
from .hunk_measure import HeldOutHunk, marks_row, paired_marks_difference, summary, verdicts
from .metrics import bleu4, rouge_l, semantic_similarity, when_score
from .systems import AlwaysSpeaking, EvalItem, MostFrequentSystem, RetrievalSystem, SayingNothing
from .voice import VoiceClassifier

METRICS = (
    "bleu4",
    "rouge_l",
    "semantic",
    "voice",
    "posted_rouge_l",
    "posted_semantic",
    "silent",
    "when_precision",
    "when_recall",
    "when_f1",
    "hunk_precision",
    "hunk_recall",
    "hunk_f05",
    "noise",
)
# What the pull request's author lives with (hunk_measure.py): the systems every learned one must beat.
BASELINES_TO_BEAT = ("always speaking", "plain baseline (ranked list)")
WRITERS = ("retrieval", "lora", "lora+rag", "lora+rerank")  # the ways whose words a where-model may place
SAMPLES = 5  # held-out comments shown side by side in the reviewer card
# What the gate may be told to report first (it judges by hunk_f05 whatever this says).
PRIMARY_SCORES = tuple(m for m in METRICS if m not in ("silent", "when_precision", "when_recall", "noise"))


@dataclass
class EvaluationReport:
    systems: dict[str, dict[str, float | None]]
    holdout_comments: int
    holdout_hunks: int
    truth_voice: float | None
    notes: list[str] = field(default_factory=list)
    # A few held-out comments: where (path, line), what the lead wrote and what each system posted
    # there ("" for silence). Text only: the code they sat on is never part of a report.
    samples: list[dict] = field(default_factory=list)
    # Per system: what it would post on each held-out hunk, counted (hunk_measure.summary), and its
    # F0.5 against each system it must beat, with a paired interval.
    hunks: dict[str, dict] = field(default_factory=dict)
    versus: dict[str, dict[str, dict]] = field(default_factory=dict)
    holdout_prs: int = 0
    # Where the lead commented: (drafts whose named code is all in the code they sit on, drafts that
    # read as a review, drafts the review would post) per system, and the lead's own comments counted
    # the same way ("*lead*").
    grounded: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    # The where-models (where/model.py) and how they rank the held-out hunks (where_ways.py); per way
    # with words, how close its hits are to what she wrote, against two floors (concern.py).
    where: dict = field(default_factory=dict)
    concern: dict[str, dict] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "hunks": self.hunks,
            "where": self.where,
            "concern": self.concern,
            "versus": self.versus,
            "holdout_prs": self.holdout_prs,
            "grounded": {k: list(v) for k, v in self.grounded.items()},
            "systems": self.systems,
            "holdout_comments": self.holdout_comments,
            "holdout_hunks": self.holdout_hunks,
            "truth_voice": self.truth_voice,
            "notes": self.notes,
            "samples": self.samples,
        }


def _items(frame: pd.DataFrame) -> list[EvalItem]:
    return [EvalItem(r.key, r.system, r.prompt, r.response) for r in frame.itertuples(index=False)]


def _line(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _grounded_counts(texts: list[str], items: list[EvalItem]) -> tuple[int, int, int]:
    """(grounded, counted, fit to post): of `texts` that read as a review, how many name only code of
    their item's prompt (the hunk and the code around it), and how many the review would post (some of
    what they name is there: reviews/fit.py)."""
    heard = [(t, i.prompt) for t, i in zip(texts, items) if (t or "").strip() and not floor_reason(t)]
    return (
        sum(grounded(t, code) for t, code in heard),
        len(heard),
        sum(points_at(t, code) for t, code in heard),
    )


def baseline_systems(examples: pd.DataFrame, retrieval: RetrievalIndex) -> list:
    train = examples[examples["split"] == "train"]
    target_train = train[(train["role"] == "target") & (train["kind"] == "comment")]
    others = train[(train["role"] == "other") & (train["kind"] == "comment")]
    systems = [RetrievalSystem("retrieval", retrieval), SayingNothing(), AlwaysSpeaking(retrieval)]
    if len(others):
        other_index = RetrievalIndex.build(list(others["key"]), index_entries(others), encoder=retrieval.encoder.kind)
        systems.append(RetrievalSystem("another reviewer's nearest comment", other_index))
    systems.append(MostFrequentSystem(list(target_train["response"])))
    return systems


def evaluate(
    examples: pd.DataFrame, systems: list, semantic: bool = True, where=None, index=None, key: bytes | None = None
) -> EvaluationReport:
    """`where`: the candidate's where-model (where/model.py), judged with the ways it places words for,
    beside the plain baseline fitted here on the same hunks (with `index`, her retrieval index)."""
    target = examples[examples["role"] == "target"]
    train = target[target["split"] == "train"]
    holdout = target[target["split"] == "holdout"]
    comments = holdout[holdout["kind"] == "comment"]
    references = list(comments["response"])
    others = examples[(examples["role"] == "other") & (examples["split"] == "train") & (examples["kind"] == "comment")]
    voice = VoiceClassifier(list(train[train["kind"] == "comment"]["response"]), list(others["response"]))
    chunks: dict[str, list] = defaultdict(list)
    for row in holdout[holdout["chunk_id"].notna()].itertuples(index=False):
        chunks[row.chunk_id].append(row)
    chunk_items = [[EvalItem(r.key, r.system, r.prompt, r.response) for r in rows] for rows in chunks.values()]
    actual = [any(r.kind == "comment" for r in rows) for rows in chunks.values()]
    held_out = [
        HeldOutHunk(
            int(rows[0].pull_number),
            chunk,
            tuple(r.response for r in rows if r.response != NO_COMMENT),
            "\n".join(r.prompt for r in rows),
        )
        for chunk, rows in chunks.items()
    ]
    notes = []
    if not voice.available:
        notes.append("no voice score: the repository has too few comments by other reviewers to contrast")
    if not chunk_items:
        notes.append("no 'when' score: no held-out hunks with known comment/silence labels")
    results: dict[str, dict] = {}
    on_hunks: dict[str, list[str]] = {}
    grounded_counts: dict[str, tuple[int, int, int]] = {}
    items = _items(comments)
    samples = [
        {
            "path": getattr(r, "path", ""),
            "line": _line(getattr(r, "focus_line", None)),
            "lead": r.response,
            "systems": {},
        }
        for r in comments.head(SAMPLES).itertuples(index=False)
    ]
    for done, system in enumerate(systems):
        progress.report("evaluation", done, len(systems), system.name)
        said = system.say(items)
        posted = system.posted(items)  # as posted: "" where the system's own decision is silence
        for sample, text in zip(samples, posted):
            sample["systems"][system.name] = text
        row = {
            "bleu4": bleu4(said, references),
            "rouge_l": rouge_l(said, references),
            "semantic": semantic_similarity(said, references) if semantic else None,
            "voice": voice.score(said),
            "posted_bleu4": bleu4(posted, references),
            "posted_rouge_l": rouge_l(posted, references),
            "posted_semantic": semantic_similarity(posted, references) if semantic else None,
            "silent": round(sum(1 for p in posted if not p.strip()) / len(posted), 4) if posted else None,
        }
        if chunk_items:
            on_hunks[system.name] = system.posts_on(chunk_items)
            w = when_score([bool(p.strip()) for p in on_hunks[system.name]], actual)
            row.update(when_precision=w.precision, when_recall=w.recall, when_f1=w.f1)
        else:
            row.update(when_precision=None, when_recall=None, when_f1=None)
        row.update(hunk_precision=None, hunk_recall=None, hunk_f05=None, noise=None)
        results[system.name] = row
        grounded_counts[system.name] = _grounded_counts(said, items)
    progress.report("evaluation", len(systems), len(systems), "scored")
    report = EvaluationReport(results, len(comments), len(chunk_items), voice.score(references), notes, samples)
    report.grounded = {**grounded_counts, "*lead*": _grounded_counts(references, items)}
    report.holdout_prs = len({h.pull_number for h in held_out})
    judged = {s.name: not getattr(s, "posts_everywhere", False) for s in systems}
    marks = {name: verdicts(held_out, posted, judged[name]) for name, posted in on_hunks.items()}
    texts = dict(on_hunks)
    if index is not None and chunk_items:
        from .where_ways import measure_where_ways

        writers = {s.name: s for s in systems if s.name in WRITERS and hasattr(s, "writes_on")}
        report.where, more_marks, more_texts = measure_where_ways(
            examples, held_out, chunk_items, where, index, writers, key
        )
        marks.update(more_marks)
        texts.update(more_texts)
    her_comments = list(train[train["kind"] == "comment"]["response"])
    for name, m in marks.items():
        if name in texts:
            counted = summary(held_out, texts[name], semantic, judged.get(name, True))
            report.concern[name] = concern(held_out, m, texts[name], her_comments, semantic)
        else:
            counted = marks_row(held_out, m)
        report.hunks[name] = counted
        if name in results:
            results[name].update(
                hunk_precision=counted["precision"],
                hunk_recall=counted["recall"],
                hunk_f05=counted["f05"],
                noise=counted["noise"],
            )
        report.versus[name] = {
            other: paired_marks_difference(held_out, m, marks[other])
            for other in BASELINES_TO_BEAT
            if other in marks and other != name
        }
    return report
