"""Which version serves a (reviewer, repo) after an evaluation, and how.

A wrong comment costs more than silence, so the gate judges what a pull request's author would live
with (hunk_measure.py): every hunk of the held-out pull requests, and the lead's own comment rate on
them. A way of reviewing serves only if
  - it would post something, and no more than 1 draft in 10 falls below the floor (reviews/floor.py:
    a review drops those before posting; more means its writer is not trusted);
  - its precision is at least LIFT times her comment rate (or halfway from it to perfect, for a lead
    who comments on most hunks), with the interval of that lift above 1x: a floor, not a goal;
  - its F0.5 beats always speaking's, by a paired interval above 0 where the held-out set has enough
    commented hunks for one (else by its point estimate), and is not shown worse than the plain
    where-baseline's (a logistic regression on the hunk's words and size: where_ways.py): at least its
    point estimate, or a paired interval reaching 0 (a perfect baseline can only be tied); a way the
    where-model places must also point at her hunks at least as surely (precision) as the baseline;
  - a way with words: its hits say her concern, nearer what she wrote than a random comment of hers
    and her most frequent comment (concern.py), by a paired interval above 0.
The ways that may serve: each writer — retrieval of her own comments, the adapter (`lora`, `lora+rag`,
`lora+rerank`) — on the hunks the where-model flags (`where+...`), and the where-model's ranked list
alone (`where-list`: the hunks she would most likely comment on, no words put in her mouth). The
writers deciding where to speak by themselves are measured beside them, never served: a review posts
only where the where-model clears its threshold. The best F0.5 among the ways with words that pass
serves; else the list, if it passes; else saying nothing (`silent`), and the review says which bar
was missed, with numbers.
A previous version whose learned way passed this same gate keeps serving over a retrain that fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..adapters.store import AdapterBundle
from .concern import beats_floors

LEARNED_MODES = ("lora", "lora+rag", "lora+rerank")
WRITERS = ("retrieval",) + LEARNED_MODES
SILENT = "silent"
WHERE_LIST = "where-list"
WHERE_PLACED = "where+"  # a writer on the hunks the where-model flags: `where+lora`
GATE_RULE = "hunk-lift"  # what the gate judged by; a version served under another rule is not kept by it
MUST_BEAT = ("always speaking", "plain baseline (ranked list)")
LIFT = 2.0
MAX_BELOW_FLOOR = 0.1  # share of a writer's drafts under the floor past which it is not trusted

# The evaluation's row of each way that may serve.
ROW_OF = {
    **{w: w for w in WRITERS},
    **{WHERE_PLACED + w: f"where-model + {w}" for w in WRITERS},
    WHERE_LIST: "where-model (ranked list)",
}


@dataclass(frozen=True)
class GateDecision:
    promote: bool  # make the candidate version current
    serving: str  # what the candidate serves if promoted: a way of ROW_OF, or "silent"
    note: str


def writer_of(serving: str | None) -> str | None:
    """The writer a serving way uses (None: it writes nothing)."""
    if not serving or serving in (SILENT, WHERE_LIST):
        return None
    return serving[len(WHERE_PLACED) :] if serving.startswith(WHERE_PLACED) else serving


def placed_by_where(serving: str | None) -> bool:
    return bool(serving) and (serving == WHERE_LIST or serving.startswith(WHERE_PLACED))


def learned(serving: str | None) -> bool:
    """Whether a way is learned beyond retrieval's own threshold (the adapter, or the where-model)."""
    return serving not in (None, SILENT, "retrieval")


def required_precision(rate: float) -> float:
    return min(LIFT * rate, rate + (1.0 - rate) / 2)


def _f(value, fmt: str = ".2f") -> str:
    return "–" if value is None else format(value, fmt)


def why_not(serving: str, evaluation: dict) -> str | None:
    """Why the way `serving` may not serve (None: it may)."""
    name = ROW_OF.get(serving, serving)
    hunks, versus = evaluation.get("hunks") or {}, (evaluation.get("versus") or {}).get(name, {})
    row = hunks.get(name)
    if row is None:
        return "it was not measured"
    if not row["posted"]:
        return "it would say nothing on the held-out pull requests"
    drafts = row["posted"] + row.get("unfit", 0)
    if row["noise"] > MAX_BELOW_FLOOR * drafts:
        return f"{row['noise']} of its {drafts} drafts did not read as a review (more than 1 in 10: not trusted)"
    rate = row.get("rate") or 0.0
    need = required_precision(rate)
    if (row["precision"] or 0.0) < need:
        return (
            f"its precision {_f(row['precision'])} ({_f(row.get('lift'), '.1f')}× her comment rate of {_f(rate)}) "
            f"is under {_f(need)}"
        )
    if row.get("lift_low") is None:
        return f"{row['lead_commented']} commented held-out hunks are too few to put an interval on its lift"
    if row["lift_low"] <= 1.0:
        return f"its lift {_f(row['lift'], '.1f')}× has an interval reaching down to {_f(row['lift_low'], '.1f')}×"
    for other in MUST_BEAT:
        if other == name or other not in hunks:
            continue
        d = versus.get(other) or {}
        if other == MUST_BEAT[1]:  # the plain baseline: not shown worse (a perfect one can only be tied)
            beaten = (d.get("difference") or 0) >= -1e-9 or (d.get("high") is not None and d["high"] >= 0)
        else:
            beaten = d.get("low") > 0 if d.get("low") is not None else (d.get("difference") or 0) > 0
        if not beaten:
            interval = f" [{_f(d['low'], '+.2f')}, {_f(d['high'], '+.2f')}]" if d.get("low") is not None else ""
            verb = "fell below" if other == MUST_BEAT[1] else "did not beat"
            return f"its F0.5 {_f(row['f05'])} {verb} {other}'s {_f(hunks[other]['f05'])}{interval}"
    plain = hunks.get(MUST_BEAT[1])
    if placed_by_where(serving) and plain and plain.get("precision") is not None:
        if (row["precision"] or 0.0) < plain["precision"] - 1e-9:  # it points at her hunks less surely
            return f"its precision {_f(row['precision'])} is under the plain baseline's {_f(plain['precision'])}"
    if writer_of(serving) is not None:
        return beats_floors((evaluation.get("concern") or {}).get(name) or {})
    return None


def _praise(serving: str, evaluation: dict, where: str) -> str:
    hunks = evaluation["hunks"]
    row = hunks[ROW_OF[serving]]
    text = (
        f"`{serving}` is serving: on {where}, its precision {_f(row['precision'])} is {_f(row['lift'], '.1f')}× "
        f"her comment rate of {_f(row['rate'])} [{_f(row['lift_low'], '.1f')}×, {_f(row['lift_high'], '.1f')}×], "
        f"and its F0.5 {_f(row['f05'])} beat always speaking's {_f(hunks['always speaking']['f05'])}"
    )
    if MUST_BEAT[1] in hunks:
        text += f" and the plain baseline's {_f(hunks[MUST_BEAT[1]]['f05'])}"
    concern = (evaluation.get("concern") or {}).get(ROW_OF[serving]) or {}
    measure = "semantic" if "semantic" in concern else "rouge_l"
    if writer_of(serving) is not None and concern.get("floors"):
        floor = concern["floors"]
        text += (
            f"; its hits say her concern ({measure} {_f(concern[measure])} against "
            + ", ".join(f"{_f(v[measure])} for {k}" for k, v in floor.items())
            + ")"
        )
    return text + "."


def decide(candidate: AdapterBundle, previous: AdapterBundle | None, evaluation: dict) -> GateDecision:
    """`evaluation`: EvaluationReport.as_dict() of the candidate on the held-out pull requests."""
    hunks = evaluation.get("hunks") or {}
    # Only the ways the where-model places may serve: a review posts only where it clears its threshold.
    # The writers deciding for themselves are measured beside them (the tables), not served.
    ways = [
        s
        for s in ROW_OF
        if placed_by_where(s) and ROW_OF[s] in hunks and (candidate.has_lora or writer_of(s) not in LEARNED_MODES)
    ]
    reasons = {s: why_not(s, evaluation) for s in ways}
    passed = [s for s, reason in reasons.items() if reason is None]
    shown = hunks.get("always speaking") or next(iter(hunks.values()), None)
    where = (
        f"{shown['hunks']} held-out hunks of {evaluation.get('holdout_prs', '?')} pull requests, "
        f"{shown['lead_commented']} of them commented on"
        if shown
        else "no held-out hunks"
    )
    with_words = [s for s in passed if writer_of(s) is not None]
    best = max(with_words, key=lambda s: hunks[ROW_OF[s]]["f05"]) if with_words else None
    if best is None and WHERE_LIST in passed:
        best = WHERE_LIST
    previous_passed = (
        previous is not None
        and previous.manifest.get("gate_rule") == GATE_RULE
        and learned(previous.manifest.get("serving"))
    )
    if best is not None and (learned(best) or not previous_passed):
        return GateDecision(True, best, _praise(best, evaluation, where))
    failures = "; ".join(f"`{s}`: {reason}" for s, reason in reasons.items() if reason)
    lost = f"On {where}, no way of reviewing passed the gate ({failures or 'none measured'})"
    if previous_passed:
        kept = f"{lost}, so the previous version (`{previous.version}`) keeps serving."
        return GateDecision(False, previous.manifest["serving"], kept)
    return GateDecision(True, SILENT, f"{lost}. Until one does, I say nothing rather than guess.")
