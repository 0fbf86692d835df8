"""The hunks a where-model learns from and judges: one row per chunk of a reviewed pull request.

From the training examples (training_data/examples.py) every row with a `chunk_id` belongs to one
chunk; the chunk is *commented* when one of its rows is the lead's comment. At review time the same
row is made from a prepared hunk (reviews/hunks.py), so both sides read a hunk the same way.
"""

from __future__ import annotations

import pandas as pd

HUNK_COLUMNS = ["pull_number", "chunk_id", "path", "text", "status", "keys", "commented", "comments", "split"]
MAX_KEYS = 12  # retrieval keys read per hunk (a chunk holds at most 12 changed lines)


def hunk_table(examples: pd.DataFrame, splits: tuple[str, ...] = ("train", "validation", "holdout")) -> pd.DataFrame:
    """The lead's reviewed hunks of `splits`, in the order of their pull requests and chunks."""
    rows = examples[(examples["role"] == "target") & examples["chunk_id"].notna() & examples["split"].isin(splits)]
    if "hunk_text" in rows:
        rows = rows[rows["hunk_text"].notna()]
    else:
        rows = rows.iloc[0:0]
    out = []
    for chunk_id, group in rows.groupby("chunk_id", sort=False):
        first = group.iloc[0]
        said = group[group["kind"] == "comment"]
        out.append(
            {
                "pull_number": int(first["pull_number"]),
                "chunk_id": chunk_id,
                "path": first["path"],
                "text": first["hunk_text"],
                "status": first.get("file_status") or "modified",
                "keys": list(group["key"])[:MAX_KEYS],
                "commented": bool(len(said)),
                "comments": list(said["response"]),
                "split": first["split"],
            }
        )
    return pd.DataFrame(out, columns=HUNK_COLUMNS)


def review_hunk_table(hunks, pull_number: int = 0) -> pd.DataFrame:
    """The prepared hunks of a review (reviews/hunks.py HunkReview) as where-model rows."""
    return pd.DataFrame(
        [
            {
                "pull_number": pull_number,
                "chunk_id": f"{pull_number}:{h.chunk.path}:{h.chunk.hunk_index}:{h.chunk.chunk_index}",
                "path": h.chunk.path,
                "text": h.chunk.text(),
                "status": h.chunk.status,
                "keys": [c.key for c in h.candidates][:MAX_KEYS],
                "commented": False,
                "comments": [],
                "split": "review",
            }
            for h in hunks
        ],
        columns=HUNK_COLUMNS,
    )
