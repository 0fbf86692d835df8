"""The evaluation on real review comments nobody here wrote: crc-py (1,030 comments from public
Python repositories, MIT; vendored in techlead_pipeline/sample/data).

Each repository's comments stand for one "reviewer"; the other repositories are the "other
reviewers" (voice contrast, and the "another reviewer's nearest comment" baseline). Each
repository is split by time: the newest ~10% of its pull requests are held out. The key of a
comment is the commented line of its diff hunk and its neighbours, exactly as for our own data.
crc-py has no uncommented hunks, so there is no "when" score. Nothing is tuned on the held-out
split: the systems and their settings are those used everywhere else.
"""

from __future__ import annotations

import gzip
import json
from importlib import resources

import numpy as np
import pandas as pd

from ..adapters.bundle import index_entries
from ..reviews.backends.retrieval_index import RetrievalIndex
from ..training_data.comment_text import is_empty_or_emoji, one_line
from ..training_data.keys import retrieval_key
from .evaluate import EvaluationReport, baseline_systems, evaluate

MIN_COMMENTS = 20
BOOTSTRAP = 2000


def load_crc_py() -> pd.DataFrame:
    raw = resources.files("techlead_pipeline.sample").joinpath("data/crc_py.json.gz").read_bytes()
    return pd.DataFrame(json.loads(gzip.decompress(raw)))


def _key(hunk: str) -> str:
    lines = [
        ln[1:] if ln[:1] in "+- " else ln
        for ln in (hunk or "").split("\n")
        if ln and not ln.startswith("@@") and not ln.startswith("\\")
    ]
    return retrieval_key(lines or [""], len(lines) - 1 if lines else 0)


def repository_examples(
    data: pd.DataFrame, holdout_fraction: float = 0.1, validation_fraction: float = 0.1
) -> pd.DataFrame:
    """All usable comments as examples, `repo` telling whose they are, split by time within each repo:
    the newest pull requests held out, the ones before them the validation split (settings are
    chosen there, never on the held-out ones), the rest training."""
    data = data.copy()
    data["repo"] = data["owner"] + "/" + data["repo"]
    data["response"] = data["comment"].map(one_line)
    data = data[~data["comment"].map(is_empty_or_emoji) & (data["response"] != "")]
    data = data.drop_duplicates(["repo", "response", "file_path", "line_number"])
    data["created_at"] = pd.to_datetime(data["comment_created_at"], utc=True)
    data["split"] = "train"
    for _repo, group in data.groupby("repo"):
        order = group.groupby("pr_number")["created_at"].min().sort_values()
        n_hold = max(1, round(len(order) * holdout_fraction)) if len(order) > 1 else 0
        n_val = min(len(order) - n_hold - 1, max(1, round(len(order) * validation_fraction))) if len(order) > 2 else 0
        held = set(order.index[len(order) - n_hold :])
        validating = set(order.index[len(order) - n_hold - max(n_val, 0) : len(order) - n_hold])
        data.loc[group.index[group["pr_number"].isin(validating)], "split"] = "validation"
        data.loc[group.index[group["pr_number"].isin(held)], "split"] = "holdout"
    return pd.DataFrame(
        {
            "repo": data["repo"],
            "kind": "comment",
            "pull_number": data["pr_number"].astype(int),
            "chunk_id": None,
            "comment_id": data["comment_id"].astype("Int64"),
            "path": data["file_path"],
            "key": data["code"].map(_key),
            "system": "",
            "prompt": data["code"],
            "response": data["response"],
            "split": data["split"],
            "created_at": data["created_at"],
        }
    ).reset_index(drop=True)


def evaluate_repository(
    all_examples: pd.DataFrame, repo: str, encoder: str = "hashed-tfidf", semantic: bool = True
) -> EvaluationReport:
    frame = all_examples.assign(role=(all_examples["repo"] == repo).map({True: "target", False: "other"}))
    train = frame[(frame["role"] == "target") & (frame["split"] == "train")]
    index = RetrievalIndex.build(list(train["key"]), index_entries(train), encoder=encoder)
    return evaluate(frame, baseline_systems(frame, index), semantic=semantic)


def evaluate_crc_py(
    encoder: str = "hashed-tfidf", semantic: bool = True, weighted: bool = True
) -> tuple[dict, pd.DataFrame]:
    """Per-repository reports and their mean over repositories with >= MIN_COMMENTS: weighted by
    held-out comments (pooled), or each repository counting once (macro)."""
    examples = repository_examples(load_crc_py())
    counts = examples.groupby("repo").size()
    repos = [r for r, n in counts.items() if n >= MIN_COMMENTS]
    rows, per_system, grounded_by_repo = [], {}, []
    for repo in repos:
        report = evaluate_repository(examples, repo, encoder, semantic)
        grounded_by_repo.append(report.grounded)
        rows.append(
            {
                "repo": repo,
                "comments": int(counts[repo]),
                "held_out": report.holdout_comments,
                **{
                    f"{name}:{metric}": value for name, vals in report.systems.items() for metric, value in vals.items()
                },
            }
        )
        for name, vals in report.systems.items():
            for metric, value in vals.items():
                if value is not None:
                    per_system.setdefault(name, {}).setdefault(metric, []).append((value, report.holdout_comments))
        per_system.setdefault("*held-out truth*", {}).setdefault("voice", []).append(
            (report.truth_voice, report.holdout_comments)
        )
    pooled = {
        name: {
            m: round(sum(v * (w if weighted else 1) for v, w in vals) / sum((w if weighted else 1) for _, w in vals), 4)
            for m, vals in metrics.items()
            if vals and vals[0][0] is not None
        }
        for name, metrics in per_system.items()
    }
    truth = pooled.pop("*held-out truth*", {}).get("voice")
    summary = {
        "systems": pooled,
        "truth_voice": truth,
        "repositories": len(repos),
        "holdout_comments": int(sum(r["held_out"] for r in rows)),
        "train_comments": int(sum(r["comments"] - r["held_out"] for r in rows)),
        "encoder": encoder,
        "weighting": "held-out comments" if weighted else "repository",
        "notes": ["crc-py has no uncommented hunks: no 'when' score"],
        "grounded": grounded_shares(grounded_by_repo),
    }
    return summary, pd.DataFrame(rows)


def grounded_shares(by_repo: list[dict[str, tuple[int, int, int]]], seed: int = 0) -> dict[str, dict]:
    """Per system, the pooled share of its drafts (where the lead commented) whose named code is all in
    the hunk, and of what the review would post (the fit drops what points at nothing here, and a
    grounded draft always stays), each with a 95 % bootstrap interval over repositories and its
    difference with the leads' own share on the same resample (paired). The leads' row is `*lead*`."""
    systems = sorted({name for counts in by_repo for name in counts})
    counts = {n: np.array([c.get(n, (0, 0, 0)) for c in by_repo], dtype=float) for n in systems}
    draws = np.random.default_rng(seed).integers(0, len(by_repo), size=(BOOTSTRAP, len(by_repo)))

    def share(rows: np.ndarray) -> float:
        return float(rows[:, 0].sum() / rows[:, 1].sum()) if rows[:, 1].sum() else float("nan")

    def with_interval(out: dict, key: str, value, resampled) -> None:
        out[key] = round(value, 4)
        out[f"{key}_low"], out[f"{key}_high"] = (round(float(v), 4) for v in np.nanpercentile(resampled, [2.5, 97.5]))

    lead = counts.get("*lead*")
    out = {}
    for name in systems:
        rows = counts[name]
        entry = out[name] = {"drafts": int(rows[:, 1].sum()), "posted": int(rows[:, 2].sum()), "share": None}
        if not entry["drafts"]:
            continue
        for key, part in (("share", rows[:, [0, 1]]), ("posted_share", rows[:, [0, 2]])):
            if not part[:, 1].sum():
                continue
            with_interval(entry, key, share(part), [share(part[d]) for d in draws])
            if lead is not None and name != "*lead*":
                minus = "minus_lead" if key == "share" else "posted_minus_lead"
                with_interval(entry, minus, share(part) - share(lead), [share(part[d]) - share(lead[d]) for d in draws])
    return out
