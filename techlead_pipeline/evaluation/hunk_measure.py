"""What the pull request's author lives with: every hunk of the held-out pull requests, and what a
system would post on it.

Each comment a system would post on a hunk is one of
  hit          the lead commented on that hunk too
  false alarm  the lead said nothing there
  noise        it does not clear the floor (reviews/floor.py): no review at all, wherever it sits
and a draft none of whose named code is in the hunk or the lines around it is *unfit*: the review
drops it before posting (reviews/fit.py, "ungrounded"), so it is not posted here either, only counted;
so is one asking for what the code there already reads ("already done").
and over hunks: precision = hits / posted, recall = hits / hunks the lead commented on, and F0.5,
which weighs precision twice as much as recall (a wrong comment costs more than silence). Saying
nothing scores 0 everywhere and posts nothing; always speaking has the recall of 1 and the lead's
comment rate as precision: those two are the floor any system must beat.

Differences between two systems come with a paired 95 % bootstrap interval that resamples the
held-out pull requests (both systems on the same resample), or their hunks when there are too few
pull requests to resample.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..common.thresholds import f05
from ..reviews.fit import already_done, grounded, points_at
from ..reviews.floor import floor_reason

BOOTSTRAP = 2000
MIN_PULLS_TO_RESAMPLE = 4  # below this, hunks are resampled instead of pull requests
MIN_COMMENTED_FOR_INTERVAL = 5  # lead-commented held-out hunks an interval needs to mean anything


@dataclass(frozen=True)
class HeldOutHunk:
    pull_number: int
    chunk_id: str
    lead_comments: tuple[str, ...]  # what the lead wrote on it (empty: silence)
    code: str = ""  # the hunk and the code around it: what a comment on it may name (reviews/fit.py)

    @property
    def commented(self) -> bool:
        return bool(self.lead_comments)


def verdicts(hunks: list[HeldOutHunk], posted: list[str], judge_fit: bool = True) -> list[str]:
    """Per hunk: "silent", "hit", "false_alarm", "noise", or dropped before posting: "unfit" (names
    no code that is there) or "already_done" (asks for what the code already reads).
    `judge_fit=False` for always speaking: the bar is speaking on every hunk, whatever it says."""
    out = []
    for hunk, text in zip(hunks, posted):
        if not (text or "").strip():
            out.append("silent")
        elif floor_reason(text):
            out.append("noise")
        elif judge_fit and hunk.code and not points_at(text, hunk.code):
            out.append("unfit")
        elif judge_fit and any(already_done(text, line) for line in hunk.code.split("\n")):
            out.append("already_done")  # asks for what the code there already reads: dropped too
        else:
            out.append("hit" if hunk.commented else "false_alarm")
    return out


def summary(hunks: list[HeldOutHunk], posted: list[str], semantic: bool = True, judge_fit: bool = True) -> dict:
    """One system's row: counts, precision / recall / F0.5 over hunks, lift over the lead's own comment
    rate (with a paired interval), comments per pull request beside the lead's, and (with `semantic`)
    the semantic similarity of its hits to what the lead wrote there."""
    marks = verdicts(hunks, posted, judge_fit)
    row = marks_row(hunks, marks)
    row["grounded_share"] = _grounded_share(  # of its drafts that read as a review, the share naming only code in sight
        [(t, h.code) for h, t, m in zip(hunks, posted, marks) if m in HEARD or m in ("unfit", "already_done")]
    )
    if semantic and row["hits"]:
        from .metrics import semantic_items

        hit = [i for i, m in enumerate(marks) if m == "hit"]
        pairs = [(posted[i], lead) for i in hit for lead in hunks[i].lead_comments]
        sims = semantic_items([p for p, _ in pairs], [lead for _, lead in pairs])
        best: dict[str, float] = {}
        for (text, _), sim in zip(pairs, sims):  # the nearest of the lead's comments on the hunk
            best[text] = max(best.get(text, -1.0), sim)
        row["semantic_on_hits"] = round(float(np.mean([best[posted[i]] for i in hit])), 4)
    return row


def flag_marks(hunks: list[HeldOutHunk], flags) -> list[str]:
    """Verdicts of a ranked list of hunks (no words): each flagged hunk a hit or a false alarm."""
    return [("hit" if h.commented else "false_alarm") if f else "silent" for h, f in zip(hunks, flags)]


def marks_row(hunks: list[HeldOutHunk], marks: list[str]) -> dict:
    """Counts, precision, recall, F0.5 and lift of one system's verdicts on every hunk."""
    count = Counter(marks)
    spoke = count["hit"] + count["false_alarm"] + count["noise"]
    commented = sum(h.commented for h in hunks)
    pulls = len({h.pull_number for h in hunks}) or 1
    rate = commented / len(hunks) if hunks else None
    precision = count["hit"] / spoke if spoke else None
    lift = lift_interval(hunks, marks)
    return {
        "hunks": len(hunks),
        "lead_commented": commented,
        "rate": round(rate, 4) if rate is not None else None,
        "posted": spoke,
        "hits": count["hit"],
        "false_alarms": count["false_alarm"],
        "noise": count["noise"],
        "unfit": count["unfit"] + count["already_done"],
        "already_done": count["already_done"],
        "precision": round(precision, 4) if precision is not None else None,
        "recall": round(count["hit"] / commented, 4) if commented else None,
        "f05": round(f05(count["hit"], spoke, commented), 4),
        "lift": round(precision / rate, 2) if precision is not None and rate else None,
        "lift_low": lift[0],
        "lift_high": lift[1],
        "comments_per_pr": round(spoke / pulls, 2),
        "lead_comments_per_pr": round(sum(len(h.lead_comments) for h in hunks) / pulls, 2),
        "semantic_on_hits": None,
        "grounded_share": None,
        # the lead's own comments on the same hunks: the human baseline of grounded_share
        "lead_grounded_share": _grounded_share([(t, h.code) for h in hunks for t in h.lead_comments]),
    }


def lift_interval(hunks: list[HeldOutHunk], marks: list[str], seed: int = 0) -> tuple[float | None, float | None]:
    """A 95 % bootstrap interval of precision / the lead's comment rate, resampling pull requests (or
    hunks, with too few of them), both on the same resample. None where it cannot be told."""
    units, counts = _per_unit(hunks, marks)
    if counts[:, 1].sum() == 0 or counts[:, 2].sum() < MIN_COMMENTED_FOR_INTERVAL:
        return None, None
    keys = sorted(set(units), key=str)
    where = {k: i for i, k in enumerate(keys)}
    per = np.zeros((len(keys), 4))
    for u, c in zip(units, counts):
        per[where[u]] += [*c, 1.0]
    draws = np.random.default_rng(seed).integers(0, len(keys), size=(BOOTSTRAP, len(keys)))
    sums = per[draws].sum(axis=1)  # (draw, [hits, posted, commented, hunks])
    ok = (sums[:, 1] > 0) & (sums[:, 2] > 0)
    lifts = (sums[ok, 0] / sums[ok, 1]) / (sums[ok, 2] / sums[ok, 3])
    if not len(lifts):
        return None, None
    low, high = np.percentile(lifts, [2.5, 97.5])
    return round(float(low), 2), round(float(high), 2)


HEARD = ("hit", "false_alarm")


def _grounded_share(pairs: list[tuple[str, str]]) -> float | None:
    pairs = [(text, code) for text, code in pairs if code]
    return round(sum(grounded(text, code) for text, code in pairs) / len(pairs), 4) if pairs else None


def _per_unit(hunks: list[HeldOutHunk], marks: list[str]) -> tuple[list, np.ndarray]:
    """(unit of each hunk, [hits, posted, commented] per hunk): the counts F0.5 is made of."""
    by_pull = len({h.pull_number for h in hunks}) >= MIN_PULLS_TO_RESAMPLE
    units = [h.pull_number if by_pull else i for i, h in enumerate(hunks)]
    counts = np.array([[m == "hit", m in ("hit", "false_alarm", "noise"), h.commented] for h, m in zip(hunks, marks)])
    return units, counts.astype(float)


def paired_f05_difference(
    hunks: list[HeldOutHunk],
    posted_a: list[str],
    posted_b: list[str],
    seed: int = 0,
    judge_fit: tuple[bool, bool] = (True, True),
) -> dict:
    """F0.5(a) - F0.5(b) on the same hunks, with a paired bootstrap interval (None where the held-out
    set is too small for one: fewer than MIN_COMMENTED_FOR_INTERVAL hunks the lead commented on)."""
    return paired_marks_difference(
        hunks, verdicts(hunks, posted_a, judge_fit[0]), verdicts(hunks, posted_b, judge_fit[1]), seed
    )


def paired_marks_difference(hunks: list[HeldOutHunk], marks_a: list[str], marks_b: list[str], seed: int = 0) -> dict:
    """paired_f05_difference of two systems' verdicts."""
    units, a = _per_unit(hunks, marks_a)
    _, b = _per_unit(hunks, marks_b)
    point = f05(*a.sum(0)) - f05(*b.sum(0))
    if a[:, 2].sum() < MIN_COMMENTED_FOR_INTERVAL:
        return {"difference": round(point, 4), "low": None, "high": None}
    keys = sorted(set(units), key=str)
    index = {k: i for i, k in enumerate(keys)}
    a_units, b_units = np.zeros((len(keys), 3)), np.zeros((len(keys), 3))
    for u, ra, rb in zip(units, a, b):
        a_units[index[u]] += ra
        b_units[index[u]] += rb
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(keys), size=(BOOTSTRAP, len(keys)))
    diffs = [f05(*a_units[d].sum(0)) - f05(*b_units[d].sum(0)) for d in draws]
    low, high = np.percentile(diffs, [2.5, 97.5])
    return {"difference": round(point, 4), "low": round(float(low), 4), "high": round(float(high), 4)}
