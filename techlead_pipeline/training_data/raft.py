"""Retrieval-augmented fine-tuning: training prompts that show the lead's nearest earlier comments.

At review time `lora+rag` puts the lead's k nearest past comments before the code. Trained without
them, an adapter has never seen such a prompt, and on crc-py the examples hurt. Trained with them,
it learns when to reuse a habit and when to say something else. What a training example may be
shown is what a review at that moment could have found: comments of the training split written
strictly before the example, on another pull request — never the example's own comment, never a
later one (`earlier_comments`). The similarity is the retrieval index's own (hashed character
n-grams of the code), built in memory and never kept.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from ..reviews.backends.retrieval_index import Encoder
from .prompts import NO_COMMENT, with_examples


def _chosen(example_id: str, share: float) -> bool:
    """A stable, even choice of `share` of the examples (by id, not by position)."""
    digest = hashlib.sha256(str(example_id).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def earlier_comments(frame: pd.DataFrame, pool: pd.DataFrame, k: int) -> list[list[str]]:
    """For each row of `frame`, the texts of the `k` comments of `pool` on the code most like its
    own, each written before it on another pull request, most similar first, each said once."""
    pool = pool[pool["kind"] == "comment"]
    if frame.empty or pool.empty or k <= 0:
        return [[] for _ in range(len(frame))]
    encoder = Encoder("hashed-tfidf").fit(list(pool["key"]))
    sims = encoder.encode(list(frame["key"])) @ encoder.encode(list(pool["key"])).T
    sims = sims.toarray() if hasattr(sims, "toarray") else np.asarray(sims)
    pool_times = pd.to_datetime(pool["created_at"], utc=True).to_numpy()
    pool_pulls = pool["pull_number"].to_numpy()
    pool_ids = pool["example_id"].to_numpy()
    responses = list(pool["response"])
    out = []
    for row, (when, pull, own) in enumerate(
        zip(pd.to_datetime(frame["created_at"], utc=True).to_numpy(), frame["pull_number"], frame["example_id"])
    ):
        allowed = (pool_times < when) & (pool_pulls != pull) & (pool_ids != own)
        shown: list[str] = []
        for j in np.argsort(-sims[row], kind="stable"):
            if not allowed[j] or responses[j] in shown or responses[j] == NO_COMMENT:
                continue
            shown.append(responses[j])
            if len(shown) == k:
                break
        out.append(shown)
    return out


def with_earlier_comments(frame: pd.DataFrame, pool: pd.DataFrame, k: int, share: float) -> pd.DataFrame:
    """`frame` with a `share` of its prompts (chosen by example id) led by their earlier comments;
    the column `rag_shown` counts how many each prompt shows."""
    frame = frame.copy()
    frame["rag_shown"] = 0
    if share <= 0 or k <= 0 or frame.empty:
        return frame
    picked = frame[[_chosen(i, share) for i in frame["example_id"]]]
    for index, shown in zip(picked.index, earlier_comments(picked, pool, k)):
        frame.at[index, "prompt"] = with_examples(frame.at[index, "prompt"], shown)
        frame.at[index, "rag_shown"] = len(shown)
    return frame
