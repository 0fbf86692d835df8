"""Whether a writer's hits say her concern: on each hunk where it spoke and the lead commented too,
how close its words are to what she wrote there (MiniLM cosine and ROUGE-L, the nearest of her
comments on the hunk), against two floors that know nothing of the hunk: a random comment of hers
(the mean over her training comments) and her single most frequent comment. Each difference comes
with a paired 95 % bootstrap interval over the hits.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from .hunk_measure import BOOTSTRAP, MIN_COMMENTED_FOR_INTERVAL, HeldOutHunk
from .metrics import rouge_l_items, semantic_items

FLOOR_SAMPLE = 40  # her training comments averaged for the random-comment floor
RANDOM_FLOOR = "a random comment of hers"
FREQUENT_FLOOR = "her most frequent comment"


def _nearest(texts: list[str], hunks: list[HeldOutHunk], measure) -> np.ndarray:
    """Per (text, hunk) pair, its score against the nearest of the lead's comments on the hunk."""
    pairs = [(t, lead) for t, h in zip(texts, hunks) for lead in h.lead_comments]
    scores = measure([p for p, _ in pairs], [lead for _, lead in pairs]) if pairs else []
    out, k = [], 0
    for h in hunks:
        n = len(h.lead_comments)
        out.append(max(scores[k : k + n]) if n else 0.0)
        k += n
    return np.array(out, dtype=float)


def _interval(diffs: np.ndarray, seed: int = 0) -> dict:
    point = float(diffs.mean()) if len(diffs) else 0.0
    if len(diffs) < MIN_COMMENTED_FOR_INTERVAL:
        return {"difference": round(point, 4), "low": None, "high": None}
    draws = np.random.default_rng(seed).integers(0, len(diffs), size=(BOOTSTRAP, len(diffs)))
    low, high = np.percentile(diffs[draws].mean(axis=1), [2.5, 97.5])
    return {"difference": round(point, 4), "low": round(float(low), 4), "high": round(float(high), 4)}


def concern(
    hunks: list[HeldOutHunk], marks: list[str], posted: list[str], her_comments: list[str], semantic: bool
) -> dict:
    """The row of one writer: its hits' scores, the floors' on the same hits, and the differences."""
    hit = [i for i, m in enumerate(marks) if m == "hit"]
    row: dict = {"hits": len(hit)}
    if not hit or not her_comments:
        return row
    on = [hunks[i] for i in hit]
    said = [posted[i] for i in hit]
    sample = her_comments[:: max(1, len(her_comments) // FLOOR_SAMPLE)][:FLOOR_SAMPLE]
    frequent = Counter(her_comments).most_common(1)[0][0]
    measures = {"rouge_l": rouge_l_items}
    if semantic:
        measures["semantic"] = semantic_items
    for name, measure in measures.items():
        own = _nearest(said, on, measure)
        floors = {
            RANDOM_FLOOR: np.mean([_nearest([c] * len(on), on, measure) for c in sample], axis=0),
            FREQUENT_FLOOR: _nearest([frequent] * len(on), on, measure),
        }
        row[name] = round(float(own.mean()), 4)
        for floor, values in floors.items():
            row.setdefault("floors", {}).setdefault(floor, {})[name] = round(float(values.mean()), 4)
            row.setdefault("versus", {}).setdefault(floor, {})[name] = _interval(own - values)
    return row


def beats_floors(row: dict) -> str | None:
    """Why a writer's hits do not say her concern above both floors (None: they do). Judged by the
    semantic score where measured, else ROUGE-L; by the paired interval's low end above 0."""
    if not row.get("hits"):
        return "it has no hits to judge what it says by"
    if "versus" not in row:
        return "there is none of her own words to compare with"
    measure = "semantic" if "semantic" in row else "rouge_l"
    for floor, against in row["versus"].items():
        d = against[measure]
        if d["low"] is None:
            return (
                f"{row['hits']} hits are too few to tell its words from {floor} (at least {MIN_COMMENTED_FOR_INTERVAL})"
            )
        if d["low"] <= 0:
            return (
                f"its hits are no nearer what she wrote than {floor} ({measure} {row[measure]:.2f} against "
                f"{row['floors'][floor][measure]:.2f}, difference {d['difference']:+.2f} "
                f"[{d['low']:+.2f}, {d['high']:+.2f}])"
            )
    return None
