"""The voice score: how much a comment reads like *this* reviewer rather than the others in the
same repository.

A logistic-regression classifier on word 1-2-grams and character 2-4-grams (TF-IDF) learns, on
the training period only, to tell the reviewer's comments (1) from other reviewers' comments (0).
The voice score of a set of generated comments is the classifier's mean probability that they
were written by the reviewer. 0.5 means "could be anyone"; the real held-out comments give the
reference. Without other reviewers in the repository there is nothing to contrast, and no score.

Retrieval answers with training comments verbatim, which a classifier fit on them would
recognise rather than judge. So the classifier is cross-fitted: five models, each trained
without one fold of the training comments; a text that is a training comment is scored by the
model that never saw it, any other text by all five (averaged).
"""

from __future__ import annotations

import numpy as np

FOLDS = 5


def _model():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    features = make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), lowercase=False),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=False),
    )
    return make_pipeline(features, LogisticRegression(max_iter=2000, class_weight="balanced"))


class VoiceClassifier:
    def __init__(self, reviewer_texts: list[str], other_texts: list[str]):
        self.available = len(reviewer_texts) >= FOLDS and len(other_texts) >= FOLDS
        if not self.available:
            return
        texts = reviewer_texts + other_texts
        labels = np.array([1] * len(reviewer_texts) + [0] * len(other_texts))
        fold = np.arange(len(texts)) % FOLDS
        self.fold_of: dict[str, int] = {}
        for text, f in zip(texts, fold):
            self.fold_of.setdefault(text, int(f))
        self.models = []
        for f in range(FOLDS):
            keep = fold != f
            self.models.append(_model().fit([t for t, k in zip(texts, keep) if k], labels[keep]))

    def _probability(self, text: str) -> float:
        f = self.fold_of.get(text)
        models = [self.models[f]] if f is not None else self.models
        return float(np.mean([m.predict_proba([text])[0, 1] for m in models]))

    def score(self, texts: list[str]) -> float | None:
        if not self.available:
            return None
        said = [t for t in texts if t and t.strip()]
        if not said:
            return 0.0
        return round(float(np.mean([self._probability(t) for t in said])), 4)
