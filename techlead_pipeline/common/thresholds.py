"""Where a system's speak-or-stay-silent threshold goes: the one that scores best by F0.5 of speaking,
the measure the gate judges by (precision counts double: a wrong comment costs more than silence).
Thresholds are tried from the most silent to the most talkative: a set where speaking never pays
goes to silence."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np


def f05(hits: float, posted: float, commented: float) -> float:
    precision = hits / posted if posted else 0.0
    recall = hits / commented if commented else 0.0
    return 1.25 * precision * recall / (0.25 * precision + recall) if precision + recall else 0.0


def best_f05_threshold(
    most_silent_first: Iterable[float], speaks_at: Callable[[float], np.ndarray], spoke: np.ndarray
) -> tuple[float | None, float]:
    """(threshold, its F0.5): `speaks_at(t)` says where the system speaks at threshold `t`; `spoke`
    where the reviewer did. Of the first run of thresholds that score best, the middle one: as far
    from speaking too much as from too little. None when there is nothing to try."""
    candidates = [float(t) for t in most_silent_first]
    commented = float(spoke.sum())
    scores = []
    for t in candidates:
        predicted = speaks_at(t)
        scores.append(f05(float((predicted & spoke).sum()), float(predicted.sum()), commented))
    if not candidates:
        return None, -1.0
    best = max(scores)
    if best <= 0:
        return candidates[0], best  # speaking never pays: the most silent
    first = next(i for i, s in enumerate(scores) if s >= best - 1e-9)
    last = first
    while last + 1 < len(scores) and scores[last + 1] >= best - 1e-9:
        last += 1
    return candidates[(first + last) // 2], best
