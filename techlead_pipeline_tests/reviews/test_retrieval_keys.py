"""A kept retrieval index hashes its n-grams with a secret key: without the vault, its vectors are
no membership test for guessed code; with it, the index works as before."""

from __future__ import annotations

import numpy as np
import pytest

from techlead_pipeline.reviews.backends.index_keys import IndexKeyMismatch, derive, new_vault_index_key
from techlead_pipeline.reviews.backends.retrieval_index import RetrievalIndex, _hasher
from techlead_pipeline.training_data.keys import retrieval_key

PLANTED = 'API_SECRET_HINT = "c0ffee-7a9d-planted-line-for-membership"'
UNRELATED = [f"def handler_{i}(request, *, retries={i}):  # something else entirely" for i in range(20)]


def _index(key=None) -> RetrievalIndex:
    code = [retrieval_key([PLANTED, "return settings"], 0)] + [retrieval_key([u], 0) for u in UNRELATED]
    entries = [{"response": f"comment {i}", "pull_number": i} for i in range(len(code))]
    return RetrievalIndex.build(code, entries, key=key)


def _present(index: RetrievalIndex, line: str) -> float:
    """The share of `line`'s public-hash buckets set in the index: an attacker's membership test."""
    buckets = np.unique(_hasher().transform([line]).indices)
    stored = set(np.unique(index.vectors.indices))
    return float(np.mean([b in stored for b in buckets]))


def test_public_hashing_gives_code_away_and_keyed_hashing_does_not():
    assert _present(_index(), PLANTED) == 1.0  # every n-gram of the planted line is found
    keyed = _index(derive(b"m" * 32, b"s" * 16))
    share = _present(keyed, PLANTED)
    chance = np.mean([_present(keyed, f"never_in_the_index_{i} = object()  # {i * 7919}") for i in range(10)])
    assert share < 0.5 and abs(share - chance) < 0.25  # no better than guessing


def test_a_kept_index_reloads_with_the_vaults_key_and_finds_the_same(home, tmp_path):
    index = _index(new_vault_index_key())
    index.save(tmp_path / "retrieval")
    saved = "".join(p.read_text(errors="replace") for p in (tmp_path / "retrieval").glob("*.json"))
    assert index.encoder.key.secret.hex() not in saved and repr(index.encoder.key).count("secret") == 0
    again = RetrievalIndex.load(tmp_path / "retrieval")
    query = [retrieval_key([PLANTED.replace("planted", "plant"), "return settings"], 0)]
    assert again.best(query)[0].index == index.best(query)[0].index == 0


def test_an_index_read_with_another_vaults_key_is_refused(home, tmp_path):
    _index(new_vault_index_key()).save(tmp_path / "retrieval")
    with pytest.raises(IndexKeyMismatch, match="--force-reload"):
        RetrievalIndex.load(tmp_path / "retrieval", keys=lambda salt: derive(b"another vault" * 3, salt))
