"""The quality study behind `benchmarks/quality.py`: every system on crc-py's real review comments
(and on the sample), scored per held-out comment so that means can be given with intervals.

* **Aggregation.** Repo-mean: each repository's mean counts once (what a new user of one repository
  can expect). Held-out-weighted: every held-out comment counts once (dominated by the repositories
  with most comments). Both with bootstrap 95 % intervals: over repositories for the repo-mean, over
  comments for the weighted mean. BLEU-4 is corpus-level within a repository and voice a mean per
  repository, so their weighted means weight each repository by its held-out comments, with an
  interval from resampling repositories.
* **Templates.** A comment is a bot template when, with numbers, code spans, quoted text and URLs
  masked and case folded, the same text occurs at least `TEMPLATE_MIN_REPEATS` times in its
  repository. A stated rule, not a hand-made list: TheAlgorithms/Python's "please add type hints"
  family is caught by it, a person's occasional repeat is not.
* **As posted.** `posted_*` scores what the system would actually post: an empty string (scored 0)
  where its speak-or-not decision says silence.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

TEMPLATE_MIN_REPEATS = 3
_MASKS = (
    (re.compile(r"https?://\S+"), " URL "),
    (re.compile(r"`[^`]*`"), " CODE "),
    (re.compile(r"\"[^\"]*\"|'[^']*'"), " QUOTE "),
    (re.compile(r"\d+"), " N "),
)


def template_key(text: str) -> str:
    out = text.lower()
    for pattern, replacement in _MASKS:
        out = pattern.sub(replacement, out)
    return " ".join(out.split())


def template_flags(texts: list[str], min_repeats: int = TEMPLATE_MIN_REPEATS) -> list[bool]:
    """Which of one repository's comments are templates by the rule above."""
    keys = [template_key(t) for t in texts]
    counts = Counter(keys)
    return [counts[k] >= min_repeats for k in keys]


def bootstrap_ci(values: list[float], rounds: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """(mean, low, high): the mean and its bootstrap 95 % interval."""
    if not values:
        return (float("nan"),) * 3
    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, len(data), size=(rounds, len(data)))].mean(axis=1)
    return float(data.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def weighted_bootstrap_ci(
    values: list[float], weights: list[float], rounds: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """(weighted mean, low, high) of per-repository values weighted by their held-out comments; the
    interval resamples repositories (a repository-level score has no per-comment spread)."""
    if not values or not sum(weights):
        return (float("nan"),) * 3
    v, w = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(v), size=(rounds, len(v)))
    means = (v[picks] * w[picks]).sum(axis=1) / np.maximum(w[picks].sum(axis=1), 1e-12)
    return float((v * w).sum() / w.sum()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


@dataclass
class RepoScores:
    """One system on one repository: per-comment scores, as said and as posted."""

    repo: str
    rouge: list[float] = field(default_factory=list)
    semantic: list[float] = field(default_factory=list)
    posted_rouge: list[float] = field(default_factory=list)
    posted_semantic: list[float] = field(default_factory=list)
    silent: list[bool] = field(default_factory=list)
    bleu4: float = 0.0
    posted_bleu4: float = 0.0
    voice: float | None = None


def summarize(per_repo: list[RepoScores]) -> dict:
    """Repo-mean and held-out-weighted means with 95 % intervals, per metric."""
    out: dict = {"repositories": len(per_repo), "comments": sum(len(r.rouge) for r in per_repo)}
    for metric in ("rouge", "semantic", "posted_rouge", "posted_semantic"):
        repo_means = [float(np.mean(getattr(r, metric))) for r in per_repo if getattr(r, metric)]
        pooled = [v for r in per_repo for v in getattr(r, metric)]
        out[metric] = {"repo_mean": bootstrap_ci(repo_means), "weighted": bootstrap_ci(pooled)}
    for metric in ("bleu4", "posted_bleu4", "voice"):
        rows = [r for r in per_repo if getattr(r, metric) is not None]
        values = [float(getattr(r, metric)) for r in rows]
        out[metric] = {
            "repo_mean": bootstrap_ci(values),
            "weighted": weighted_bootstrap_ci(values, [len(r.rouge) for r in rows]),
        }
    out["silent"] = float(np.mean([s for r in per_repo for s in r.silent])) if per_repo else float("nan")
    return out


def fmt(ci: tuple[float, float, float], digits: int = 2) -> str:
    mean, low, high = ci
    if np.isnan(mean):
        return "—"
    return f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


# ---------------------------------------------------------------------------------------------- rolling origin
def rolling_splits(
    frame, folds: int = 4, holdout_fraction: float = 0.1, validation_fraction: float = 0.1
) -> list[tuple[int, object]]:
    """Several time cut-offs per repository, each training only on what came before it: fold f holds
    out the f-th of the newest `folds` slices of a repository's pull requests (each `holdout_fraction`
    of them, in time order), validates on the slice just before, and trains on everything older.
    Returns (fold, frame with its own `split` column) per fold; a repository too small for a fold is
    all `unused` in it."""
    import math

    out = []
    for fold in range(folds):
        split = frame["split"].copy()
        split[:] = "unused"
        for _repo, group in frame.groupby("repo"):
            order = list(group.groupby("pull_number")["created_at"].min().sort_values().index)
            n = len(order)
            width = max(1, math.floor(n * holdout_fraction))
            end = n - (folds - 1 - fold) * width
            start = end - width
            val_start = start - max(1, math.floor(n * validation_fraction))
            if val_start < 2:  # too little history before this cut-off to learn from
                continue
            role = {p: "train" for p in order[:val_start]}
            role.update({p: "validation" for p in order[val_start:start]})
            role.update({p: "holdout" for p in order[start:end]})
            split[group.index] = group["pull_number"].map(role).fillna("unused")
        out.append((fold, frame.assign(split=split)))
    return out


def paired_difference(
    a: dict[str, list[float]], b: dict[str, list[float]], rounds: int = 4000, seed: int = 0
) -> dict[str, tuple[float, float, float]]:
    """System A minus system B, scored on the same held-out comments (`repo -> per-comment scores`, in
    the same order for both): the repo-mean difference with an interval from resampling repositories
    and, within each, its comments; and the held-out-weighted difference resampling comments. A
    paired interval, not two overlapping ones: the question is whether A beats B on the same items."""
    repos = [r for r in a if a[r] and len(a[r]) == len(b.get(r, []))]
    if not repos:
        return {"repo_mean": (float("nan"),) * 3, "weighted": (float("nan"),) * 3}
    diffs = [np.asarray(a[r], float) - np.asarray(b[r], float) for r in repos]
    rng = np.random.default_rng(seed)
    repo_means = []
    for _ in range(rounds):
        picked = rng.integers(0, len(diffs), len(diffs))
        repo_means.append(np.mean([diffs[i][rng.integers(0, len(diffs[i]), len(diffs[i]))].mean() for i in picked]))
    pooled = np.concatenate(diffs)
    pooled_means = pooled[rng.integers(0, len(pooled), size=(rounds, len(pooled)))].mean(axis=1)
    return {
        "repo_mean": (
            float(np.mean([d.mean() for d in diffs])),
            float(np.percentile(repo_means, 2.5)),
            float(np.percentile(repo_means, 97.5)),
        ),
        "weighted": (
            float(pooled.mean()),
            float(np.percentile(pooled_means, 2.5)),
            float(np.percentile(pooled_means, 97.5)),
        ),
    }
