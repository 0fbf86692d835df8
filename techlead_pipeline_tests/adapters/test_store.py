"""The adapter cache: immutable versions, an atomic `current`, and no cross-partition serving."""

from __future__ import annotations

import pytest

from techlead_pipeline.adapters.store import KEEP_VERSIONS, AdapterMismatchError, AdapterStore
from techlead_pipeline.partitions import reviewer_repo

ALICE = reviewer_repo("alice", "o/r")
BOB = reviewer_repo("bob", "o/r")


def commit(store, target, run, payload=b"w"):
    staging = store.staging(target, run)
    (staging / "adapter_model.safetensors").write_bytes(payload)
    return store.commit(target, staging, {"trainer": "torchtune"})


def test_commit_then_promote_serves_the_new_version(tmp_path):
    store = AdapterStore(tmp_path)
    assert store.current(ALICE) is None
    first = commit(store, ALICE, "run1")
    assert store.current(ALICE) is None  # committed is not served
    store.promote(ALICE, first)
    assert store.current(ALICE).version == first.version
    second = commit(store, ALICE, "run2")
    assert store.current(ALICE).version == first.version
    store.promote(ALICE, second)
    assert store.current(ALICE).version == second.version
    assert store.current(ALICE).manifest["partition"] == ALICE.key


def test_another_partitions_bundle_is_refused(tmp_path):
    store = AdapterStore(tmp_path)
    bundle = commit(store, ALICE, "run1")
    with pytest.raises(AdapterMismatchError):
        store.promote(BOB, bundle)
    store.promote(ALICE, bundle)
    (tmp_path / BOB.key).mkdir()
    (tmp_path / BOB.key / "current").symlink_to(bundle.path)  # a planted link cannot cross over
    with pytest.raises(AdapterMismatchError):
        store.current(BOB)


def test_old_versions_are_pruned_but_never_the_served_one(tmp_path):
    store = AdapterStore(tmp_path)
    bundles = [commit(store, ALICE, f"run{i}") for i in range(KEEP_VERSIONS + 2)]
    store.promote(ALICE, bundles[0])
    assert bundles[0].version in store.versions(ALICE)
    store.promote(ALICE, bundles[-1])
    assert len(store.versions(ALICE)) == KEEP_VERSIONS


def test_discarded_staging_leaves_nothing(tmp_path):
    store = AdapterStore(tmp_path)
    staging = store.staging(ALICE, "run9")
    store.discard(staging)
    assert not staging.exists() and store.current(ALICE) is None
