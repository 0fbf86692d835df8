"""The ways of reviewing that let a where-model choose the hunks (where/model.py), judged on every
hunk of the held-out pull requests beside the others:

  where-model (ranked list)       the hunks it would flag, no words: what a review lists as "where
                                  she usually comments" when no writer can be trusted
  plain baseline (ranked list)    the same for the plain baseline, the bar every table shows
  where-model + WRITER            the writer's draft on each hunk the where-model flags (retrieval:
                                  her nearest past comment; lora...: the adapter), drafts written
                                  only there

A hunk is flagged where its probability clears the model's threshold (placed without the held-out
pull requests), at most REVIEW_CAP per pull request, the likeliest first: what a review posts.
Each row also reports `top_tenth`: the precision of each pull request's likeliest tenth of hunks, a
threshold-free view of the ranking (size alone beside them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..where.features import changed_lines
from ..where.model import CannotLearnWhere, WhereModel
from ..where.table import hunk_table
from .hunk_measure import HeldOutHunk, flag_marks, marks_row, verdicts

REVIEW_CAP = 10  # comments a review posts at most (TECHLEAD_MAX_COMMENTS by default)
WHERE_LIST = "where-model (ranked list)"
BASELINE_LIST = "plain baseline (ranked list)"
WHERE_PREFIX = "where-model + "


def flags(pulls: list[int], p: np.ndarray, threshold: float, cap: int = REVIEW_CAP) -> np.ndarray:
    """Where a review would speak: P at least `threshold`, the `cap` likeliest per pull request."""
    out = np.zeros(len(p), dtype=bool)
    by_pull: dict[int, list[int]] = {}
    for i, pull in enumerate(pulls):
        by_pull.setdefault(pull, []).append(i)
    for members in by_pull.values():
        ranked = sorted(members, key=lambda i: -p[i])
        out[[i for i in ranked[:cap] if p[i] >= threshold]] = True
    return out


def top_tenth(hunks: list[HeldOutHunk], p: np.ndarray) -> dict:
    """Precision of each pull request's likeliest tenth of hunks (at least one), pooled."""
    hits = shown = 0
    by_pull: dict[int, list[int]] = {}
    for i, h in enumerate(hunks):
        by_pull.setdefault(h.pull_number, []).append(i)
    for members in by_pull.values():
        k = max(1, round(len(members) / 10))
        top = sorted(members, key=lambda i: -p[i])[:k]
        hits += sum(hunks[i].commented for i in top)
        shown += k
    rate = sum(h.commented for h in hunks) / len(hunks) if hunks else 0.0
    precision = hits / shown if shown else None
    return {
        "hunks_shown": shown,
        "hits": hits,
        "precision": round(precision, 4) if precision is not None else None,
        "lift": round(precision / rate, 2) if precision is not None and rate else None,
    }


def aligned_table(examples: pd.DataFrame, hunks: list[HeldOutHunk]) -> pd.DataFrame | None:
    """The held-out hunks as where-model rows, in the order of `hunks` (None if any lacks its text)."""
    table = hunk_table(examples, ("holdout",)).set_index("chunk_id", drop=False)
    if not all(h.chunk_id in table.index for h in hunks):
        return None
    return table.loc[[h.chunk_id for h in hunks]].reset_index(drop=True)


def measure_where_ways(
    examples: pd.DataFrame,
    hunks: list[HeldOutHunk],
    chunk_items: list,
    where: WhereModel | None,
    index,
    writers: dict,
    key: bytes | None = None,
) -> tuple[dict, dict[str, list[str]], dict[str, list[str]]]:
    """(what the where-models are and how they rank, each way's verdicts, each writer way's words)."""
    info: dict = {"rankers": {}}
    marks: dict[str, list[str]] = {}
    texts: dict[str, list[str]] = {}
    table = aligned_table(examples, hunks)
    if table is None or not len(table):
        info["why"] = "the held-out hunks carry no diff text to judge a where-model on"
        return info, marks, texts
    pulls = [h.pull_number for h in hunks]
    rankers = {"where-model": where}
    try:
        rankers["plain baseline"] = WhereModel.learn(
            "plain baseline", hunk_table(examples, ("train", "validation")), index, key=key
        )
    except CannotLearnWhere as why:
        info["why"] = str(why)
    sizes = np.array([sum(map(len, changed_lines(t))) for t in table["text"]], dtype=float)
    info["rankers"]["hunk size alone"] = {"top_tenth": top_tenth(hunks, sizes)}
    for name, model in rankers.items():
        if model is None:
            continue
        p = model.probabilities(table, index)
        flagged = flags(pulls, p, model.threshold)
        info["rankers"][name] = {
            "threshold": round(model.threshold, 4),
            "flagged": int(flagged.sum()),
            "top_tenth": top_tenth(hunks, p),
            "average_precision": _average_precision(hunks, p),
        }
        marks[WHERE_LIST if name == "where-model" else BASELINE_LIST] = flag_marks(hunks, flagged)
        if name != "where-model" or not flagged.any():
            continue
        at = list(np.flatnonzero(flagged))
        for writer_name, writer in writers.items():  # drafts only where the where-model speaks
            written = writer.writes_on([chunk_items[i] for i in at])
            posted = [""] * len(hunks)
            for i, text in zip(at, written):
                posted[i] = text or ""
            texts[WHERE_PREFIX + writer_name] = posted
            marks[WHERE_PREFIX + writer_name] = verdicts(hunks, posted)
    return info, marks, texts


def _average_precision(hunks: list[HeldOutHunk], p: np.ndarray) -> float | None:
    from sklearn.metrics import average_precision_score

    y = [h.commented for h in hunks]
    return round(float(average_precision_score(y, p)), 4) if any(y) and not all(y) else None


def rows_of(hunks: list[HeldOutHunk], marks: dict[str, list[str]]) -> dict[str, dict]:
    return {name: marks_row(hunks, m) for name, m in marks.items()}
