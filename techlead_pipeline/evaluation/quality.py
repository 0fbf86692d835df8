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
