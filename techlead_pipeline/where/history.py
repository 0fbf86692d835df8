"""What her history says of a hunk: how near its code is to code she commented on and to code she
passed over (the retrieval index, by the same
keys the retrieval backend looks up), and how near its words are to what she asks about.

On her own training hunks each of these leaves the hunk's pull request out, so a hunk never learns
from itself; a hunk under review belongs to no pull request of her history.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..training_data.prompts import NO_COMMENT

BLOCK = 2048  # keys looked up at a time (a dense block of similarities per lookup)
MAX_SILENCES = 2000


def nearness(index, table: pd.DataFrame, leave_pull_out: bool) -> list[dict[str, float]]:
    """Per hunk, the similarity of its nearest key to a comment of hers and to a silence of hers in
    the retrieval index (0 without one), her hunk's own pull request left out where asked. Her
    silences are many (every line she passed over): at most MAX_SILENCES of them, evenly spread,
    stand for them all."""
    n = len(table)
    near = {"near_her_comment": np.zeros(n), "near_her_silence": np.zeros(n)}
    if index is None or not index.entries or index.vectors is None or not n:
        return [{k: 0.0 for k in near} for _ in range(n)]
    comment = np.array([e["response"] != NO_COMMENT for e in index.entries])
    silences = np.flatnonzero(~comment)
    silences = silences[np.linspace(0, len(silences) - 1, min(len(silences), MAX_SILENCES)).astype(int)]
    pulls = np.array([e.get("pull_number", -1) for e in index.entries])
    owner = np.array([i for i, keys in enumerate(table["keys"]) for _ in keys], dtype=int)
    keys = [k for ks in table["keys"] for k in ks]
    hunk_pulls = table["pull_number"].to_numpy()
    encoded = index.encoder.encode(keys) if keys else None  # once: hashing is the costly part
    for name, columns in (("near_her_comment", np.flatnonzero(comment)), ("near_her_silence", silences)):
        if not len(columns) or not keys:
            continue
        vectors = index.vectors[columns]
        for start in range(0, len(keys), BLOCK):
            sims = encoded[start : start + BLOCK] @ vectors.T
            sims = sims.toarray() if sp.issparse(sims) else np.asarray(sims)
            rows = owner[start : start + BLOCK]
            if leave_pull_out:
                sims = np.where(pulls[columns][None, :] == hunk_pulls[rows][:, None], -1.0, sims)
            np.maximum.at(near[name], rows, sims.max(axis=1))
    return [{k: float(near[k][i]) for k in near} for i in range(n)]


class Asks:
    """The words of her comments, as one hashed, normalised vector: a hunk whose changed lines share
    them (the names she asks about, `docstring`, `print`) is nearer what she tends to ask about. On
    her own hunks, the comments of the hunk's pull request are left out."""

    def __init__(self, vectorizer, total, by_pull: dict | None = None):
        self.vectorizer = vectorizer
        self.total = total  # summed word vector of her comments (1 x features), or None
        self.by_pull = by_pull or {}  # pull request -> its comments' summed vector (fitting only)

    @classmethod
    def learn(cls, vectorizer, comments: list[str], pulls: list[int]) -> "Asks":
        if not comments:
            return cls(vectorizer, None)
        vectors = sp.csr_matrix(vectorizer.transform(comments))
        by_pull: dict[int, sp.csr_matrix] = {}
        for i, pull in enumerate(pulls):
            by_pull[pull] = vectors[i] if pull not in by_pull else by_pull[pull] + vectors[i]
        return cls(vectorizer, sp.csr_matrix(vectors.sum(axis=0)), by_pull)

    def features(self, texts: list[str], pulls: list[int] | None = None) -> list[dict[str, float]]:
        if self.total is None or not texts:
            return [{"near_her_asks": 0.0} for _ in texts]
        hunks = sp.csr_matrix(self.vectorizer.transform(texts))
        out = []
        for i in range(len(texts)):
            centroid = self.total
            if pulls is not None and pulls[i] in self.by_pull:
                centroid = centroid - self.by_pull[pulls[i]]
            norm = float(np.sqrt(centroid.multiply(centroid).sum())) or 1.0
            out.append({"near_her_asks": float((hunks[i] @ centroid.T).sum()) / norm})
        return out
