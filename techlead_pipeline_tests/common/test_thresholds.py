"""Speak-or-not thresholds are placed by F0.5, the gate's measure: silence wins ties and wins where
speaking never pays."""

from __future__ import annotations

import numpy as np

from techlead_pipeline.common.thresholds import best_f05_threshold, f05


def test_f05_weighs_precision_double():
    assert f05(1, 1, 4) > f05(4, 16, 4)  # one right comment beats all four found among sixteen


def test_a_precise_threshold_beats_a_talkative_one_that_f1_would_pick():
    p_silent = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    spoke = np.array([True, True, False, True, False, True])
    # F1 prefers speaking everywhere (4 of 4 found, 4 of 6 right: F1 0.80 against 0.67); F0.5 the
    # first two alone (2 of 2 right, half found: 0.83 against 0.71).
    t, score = best_f05_threshold(sorted(set(p_silent) | {1.01}), lambda t: p_silent < t, spoke)
    assert t == 0.3 and round(score, 2) == 0.83


def test_where_speaking_never_pays_the_threshold_is_silence():
    scores = np.array([0.9, 0.8, 0.7])
    spoke = np.array([False, False, False])
    t, score = best_f05_threshold([1.0, 0.9, 0.8, 0.7], lambda t: scores >= t, spoke)
    assert t == 1.0 and score == 0.0  # speaks nowhere
