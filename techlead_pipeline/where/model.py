"""A where-model: P(she comments on this hunk), a logistic regression (scikit-learn) over the hunk's
words, its path's words and named numbers (features.py, history.py), and the threshold at which a
review speaks.

Two recipes share the machinery:
  where-model     every feature group
  plain baseline  the hunk's words, its path's words and its size alone: the bar any where-model
                  must clear (a row in every table)

The threshold is placed without the held-out pull requests: the model is fitted on the training and
validation pull requests, each hunk scored out of fold (its pull request's fold left out of the fit),
and the threshold is the one with the best F0.5 of speaking on those scores (common/thresholds.py;
a wrong comment costs more than silence). The regularisation is chosen the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..common.thresholds import best_f05_threshold
from .features import (
    NUMBER_SETS,
    NUMERIC,
    SIZE_ONLY,
    KeyedWords,
    changed_text,
    hunk_index_of,
    intrinsic,
    numeric_matrix,
)
from .history import Asks, nearness

TEXT_FEATURES = 2**16
PATH_FEATURES = 2**12
STRENGTHS = (0.03, 0.1, 0.3, 1.0)  # inverse regularisation tried (C): the best out-of-fold average precision wins
MAX_FOLDS = 5
MIN_COMMENTED = 3  # commented hunks needed to learn anything
MIN_PULLS = 2  # pull requests needed to score out of fold
FILE = "where.joblib"

RECIPES = {
    "where-model": tuple(NUMBER_SETS),  # the named sets of numbers it chooses among
    "plain baseline": ("plain",),
}
PLAIN = {"plain": SIZE_ONLY}


class CannotLearnWhere(ValueError):
    """Too little history to learn where she comments (the reason is the message)."""


def _hasher(key: bytes | None, n_features: int, norm: str | None = None):
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer=KeyedWords(key), n_features=n_features, alternate_sign=False, norm=norm, lowercase=False
    )


@dataclass
class WhereModel:
    recipe: str
    numbers: tuple[str, ...]
    key: bytes | None = None  # hashes the words (the retrieval index's key); never saved
    threshold: float = 1.01
    strength: float = 1.0
    parts: dict = field(default_factory=dict)  # fitted: idf of text and path, scaler, classifier
    asks: Asks | None = None
    measured: dict = field(default_factory=dict)  # out-of-fold figures, feature groups' weight

    # ---------------------------------------------------------------- features
    def _numbers(self, table: pd.DataFrame, index, fitting: bool) -> np.ndarray:
        counts = table.groupby("pull_number")["chunk_id"].transform("size")
        per_file = table.groupby(["pull_number", "path"])["chunk_id"].transform("size")
        rows = [
            {
                **intrinsic(text, path, status, hunk_index_of(chunk)),
                "log_pull_hunks": float(np.log1p(n)),
                "log_file_hunks": float(np.log1p(f)),
            }
            for text, path, status, chunk, n, f in zip(
                table["text"], table["path"], table["status"], table["chunk_id"], counts, per_file
            )
        ]
        if any(NUMERIC.get(n) == "her history" for n in self.numbers):
            near = nearness(index, table, leave_pull_out=fitting)
            asks = self.asks.features(
                [changed_text(t) for t in table["text"]], list(table["pull_number"]) if fitting else None
            )
            rows = [{**r, **b, **c} for r, b, c in zip(rows, near, asks)]
        return numeric_matrix(rows, self.numbers)

    def _hashed(self, table: pd.DataFrame) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """The hunk's changed words and its path's words, counted into hashed buckets."""
        text = _hasher(self.key, TEXT_FEATURES).transform(list(table["text"].map(changed_text)))
        return sp.csr_matrix(text), sp.csr_matrix(_hasher(self.key, PATH_FEATURES).transform(list(table["path"])))

    @staticmethod
    def _matrix(hashed, numbers: np.ndarray, parts: dict) -> sp.csr_matrix:
        text, path = hashed
        return sp.hstack(
            [
                parts["text_idf"].transform(text),
                parts["path_idf"].transform(path),
                sp.csr_matrix(parts["scaler"].transform(numbers)),
            ]
        ).tocsr()

    @classmethod
    def _fit_parts(cls, hashed, numbers: np.ndarray, y: np.ndarray, strength: float) -> dict:
        from sklearn.feature_extraction.text import TfidfTransformer
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        parts = {
            "text_idf": TfidfTransformer(sublinear_tf=True).fit(hashed[0]),
            "path_idf": TfidfTransformer(sublinear_tf=True).fit(hashed[1]),
            "scaler": StandardScaler().fit(numbers),
        }
        classifier = LogisticRegression(C=strength, solver="liblinear", max_iter=2000)
        parts["classifier"] = classifier.fit(cls._matrix(hashed, numbers, parts), y.astype(int))
        return parts

    # ---------------------------------------------------------------- fitting
    @classmethod
    def learn(cls, recipe: str, table: pd.DataFrame, index=None, key: bytes | None = None) -> "WhereModel":
        """Fitted on `table` (her training and validation hunks), its threshold placed out of fold."""
        from sklearn.metrics import average_precision_score
        from sklearn.model_selection import GroupKFold

        commented = int(table["commented"].sum()) if len(table) else 0
        pulls = table["pull_number"].nunique() if len(table) else 0
        if commented < MIN_COMMENTED or pulls < MIN_PULLS or commented == len(table):
            raise CannotLearnWhere(
                f"{commented} commented hunks of {len(table)} in {pulls} pull requests: too few to learn where "
                f"she comments (at least {MIN_COMMENTED} commented hunks and some she passed over, in "
                f"{MIN_PULLS} pull requests)"
            )
        table = table.reset_index(drop=True)
        sets = NUMBER_SETS if recipe == "where-model" else PLAIN
        model = cls(recipe, tuple(NUMERIC), key)
        said = [(c, p) for cs, p in zip(table["comments"], table["pull_number"]) for c in cs]
        model.asks = Asks.learn(_hasher(key, TEXT_FEATURES, norm="l2"), [c for c, _ in said], [p for _, p in said])
        every_number = model._numbers(table, index, fitting=True)
        hashed = model._hashed(table)
        y = table["commented"].to_numpy(bool)
        folds = list(GroupKFold(n_splits=min(MAX_FOLDS, pulls)).split(table, y, table["pull_number"]))
        best = None
        for set_name, names in sets.items():  # the fewest numbers first: ties go to the simpler
            numbers = every_number[:, [model.numbers.index(n) for n in names]]
            for strength in STRENGTHS:
                scores = model._out_of_fold(hashed, numbers, y, folds, strength)
                ap = average_precision_score(y, scores)
                if best is None or ap > best[0] + 1e-9:
                    best = (ap, set_name, names, strength, scores)
        ap, set_name, names, model.strength, scores = best
        model.numbers = tuple(names)
        numbers = every_number[:, [tuple(NUMERIC).index(n) for n in names]]
        candidates = sorted(set(np.round(scores, 4).tolist()) | {1.01}, reverse=True)
        t, f = best_f05_threshold(candidates, lambda t: scores >= t, y)
        model.threshold = float(t if t is not None else 1.01)
        flagged = scores >= model.threshold
        model.measured = {
            "hunks": len(table),
            "commented": int(y.sum()),
            "pulls": int(pulls),
            "rate": round(float(y.mean()), 4),
            "numbers": set_name,
            "average_precision": round(float(ap), 4),
            "f05": round(float(f), 4),
            "flagged": int(flagged.sum()),
            "precision": round(float(y[flagged].mean()), 4) if flagged.any() else None,
            "strength": model.strength,
        }
        model.parts = model._fit_parts(hashed, numbers, y, model.strength)
        if recipe == "where-model":
            model.measured["groups"] = model._weight_of_groups(hashed, numbers, y, folds, ap)
        return model

    def _out_of_fold(self, hashed, numbers, y, folds, strength, drop: tuple[int, ...] = ()) -> np.ndarray:
        """Each hunk's score by a model fitted without its fold's pull requests (`drop`: numbers left out)."""
        scores = np.full(len(y), float(y.mean()))
        if drop:
            numbers = numbers.copy()
            numbers[:, list(drop)] = 0.0
        for fit_at, score_at in folds:
            if y[fit_at].all() or not y[fit_at].any():
                continue
            parts = self._fit_parts(_rows(hashed, fit_at), numbers[fit_at], y[fit_at], strength)
            scores[score_at] = parts["classifier"].predict_proba(
                self._matrix(_rows(hashed, score_at), numbers[score_at], parts)
            )[:, 1]
        return scores

    def _weight_of_groups(self, hashed, numbers, y, folds, full_ap: float) -> dict:
        """What carries it: per named group, how much out-of-fold average precision falls without it;
        and the standardised weight of each named number in the fitted model (self.parts)."""
        from sklearn.metrics import average_precision_score

        lost = {}
        for group in sorted(set(NUMERIC[n] for n in self.numbers)):
            drop = tuple(i for i, n in enumerate(self.numbers) if NUMERIC[n] == group)
            scores = self._out_of_fold(hashed, numbers, y, folds, self.strength, drop)
            lost[group] = round(full_ap - float(average_precision_score(y, scores)), 4)
        for name, block in (("words of the hunk", 0), ("words of the path", 1)):
            emptied = list(hashed)
            emptied[block] = sp.csr_matrix(hashed[block].shape)
            scores = self._out_of_fold(tuple(emptied), numbers, y, folds, self.strength)
            lost[name] = round(full_ap - float(average_precision_score(y, scores)), 4)
        weights = self.parts["classifier"].coef_[0][-len(self.numbers) :]
        ranked = sorted(zip(self.numbers, weights), key=lambda nw: -abs(nw[1]))
        return {
            "average_precision_lost_without": dict(sorted(lost.items(), key=lambda kv: -kv[1])),
            "standardised_weights": {n: round(float(w), 3) for n, w in ranked if abs(w) >= 0.005},
        }

    # ---------------------------------------------------------------- use
    def probabilities(self, table: pd.DataFrame, index=None) -> np.ndarray:
        if not len(table):
            return np.zeros(0)
        table = table.reset_index(drop=True)
        numbers = self._numbers(table, index, fitting=False)
        return self.parts["classifier"].predict_proba(self._matrix(self._hashed(table), numbers, self.parts))[:, 1]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        joblib.dump(
            {
                "recipe": self.recipe,
                "numbers": self.numbers,
                "threshold": self.threshold,
                "strength": self.strength,
                "parts": self.parts,
                "asks": self.asks.total if self.asks else None,
            },
            folder / FILE,
        )
        (folder / "where.json").write_text(
            json.dumps({"recipe": self.recipe, "threshold": self.threshold, **self.measured})
        )

    @classmethod
    def load(cls, folder: Path, key: bytes | None = None) -> "WhereModel | None":
        if not (folder / FILE).exists():
            return None
        data = joblib.load(folder / FILE)
        model = cls(data["recipe"], tuple(data["numbers"]), key, data["threshold"], data["strength"], data["parts"])
        model.asks = Asks(_hasher(key, TEXT_FEATURES, norm="l2"), data["asks"])
        model.measured = json.loads((folder / "where.json").read_text())
        return model


def _rows(hashed, at):
    return tuple(m[at] for m in hashed)
