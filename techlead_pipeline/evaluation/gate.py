"""Which version serves a (reviewer, repo) after an evaluation, and how.

A wrong comment costs more than silence, so the gate judges what a pull request's author would live
with (hunk_measure.py): on every hunk of the held-out pull requests, the F0.5 of commenting where the
lead commented. A way of reviewing serves only if
  - it would post something, and none of it noise (below the floor of reviews/floor.py);
  - its F0.5 beats always speaking's and (a learned way) retrieval's, by a paired interval above 0
    where the held-out set has enough commented hunks for one, else by its point estimate.
The contenders are retrieval of the lead's own comments and, with an adapter, the adapter writing
(`lora`), with her nearest past comments in its prompt (`lora+rag`), and choosing among them
(`lora+rerank`); the best F0.5 among those that pass serves. Where none passes, saying nothing
serves (`silent`): the review posts no line comment and its summary says why. A previous version
whose learned way passed this same gate keeps serving over a retrain whose learned ways do not.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..adapters.store import AdapterBundle

LEARNED_MODES = ("lora", "lora+rag", "lora+rerank")
SILENT = "silent"
GATE_RULE = "hunk-f05"  # what the gate judged by; a version served under another rule is not kept by it
MUST_BEAT = ("always speaking", "retrieval")


@dataclass(frozen=True)
class GateDecision:
    promote: bool  # make the candidate version current
    serving: str  # what the candidate serves if promoted: "retrieval", a learned mode, or "silent"
    note: str


def _f(value) -> str:
    return "–" if value is None else f"{value:.2f}"


def why_not(name: str, evaluation: dict) -> str | None:
    """Why `name` may not serve (None: it may)."""
    hunks, versus = evaluation.get("hunks") or {}, (evaluation.get("versus") or {}).get(name, {})
    row = hunks.get(name)
    if row is None:
        return "it was not measured"
    if not row["posted"]:
        return "it would say nothing on the held-out pull requests"
    if row["noise"]:
        return f"{row['noise']} of its {row['posted']} comments did not read as a review"
    for other in MUST_BEAT:
        if other == name or other not in hunks:
            continue
        d = versus.get(other) or {}
        beaten = d.get("low") > 0 if d.get("low") is not None else (d.get("difference") or 0) > 0
        if not beaten:
            interval = f" [{_f(d['low'])}, {_f(d['high'])}]" if d.get("low") is not None else ""
            return f"F0.5 {_f(row['f05'])} did not beat {other}'s {_f(hunks[other]['f05'])}{interval}"
    return None


def decide(candidate: AdapterBundle, previous: AdapterBundle | None, evaluation: dict) -> GateDecision:
    """`evaluation`: EvaluationReport.as_dict() of the candidate on the held-out pull requests."""
    hunks = evaluation.get("hunks") or {}
    contenders = ["retrieval"] + (list(LEARNED_MODES) if candidate.has_lora else [])
    reasons = {name: why_not(name, evaluation) for name in contenders if name in hunks}
    passed = [name for name, reason in reasons.items() if reason is None]
    shown = next(iter(hunks.values()), None)
    where = (
        f"{shown['hunks']} held-out hunks of {evaluation.get('holdout_prs', '?')} pull requests, "
        f"{shown['lead_commented']} of them commented on"
        if shown
        else "no held-out hunks"
    )
    best = max(passed, key=lambda name: hunks[name]["f05"]) if passed else None
    previous_passed = (
        previous is not None
        and previous.manifest.get("gate_rule") == GATE_RULE
        and previous.manifest.get("serving") in LEARNED_MODES
    )
    if best is not None and (best in LEARNED_MODES or not previous_passed):
        row = hunks[best]
        return GateDecision(
            True,
            best,
            f"`{best}` is serving: on {where}, its F0.5 {_f(row['f05'])} (precision {_f(row['precision'])}, recall "
            f"{_f(row['recall'])}) beat always speaking's {_f(hunks['always speaking']['f05'])}"
            + (f" and retrieval's {_f(hunks['retrieval']['f05'])}" if best != "retrieval" else "")
            + ", with no noise.",
        )
    failures = "; ".join(f"`{name}`: {reason}" for name, reason in reasons.items() if reason)
    lost = f"On {where}, no learned way of reviewing beat always speaking and retrieval ({failures or 'none measured'})"
    if previous_passed:
        kept = f"{lost}, so the previous version (`{previous.version}`) keeps serving."
        return GateDecision(False, previous.manifest["serving"], kept)
    return GateDecision(True, SILENT, f"{lost}. Until one does, I say nothing rather than guess.")
