"""The adapter cache: immutable versions, an atomic `current`, and no cross-partition serving."""

from __future__ import annotations

import pytest

from techlead_pipeline.adapters.store import (
    KEEP_VERSIONS,
    AdapterMismatchError,
    AdapterStore,
    CorruptAdapterError,
)
from techlead_pipeline.common.partitions import reviewer_repo

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
    assert store.current(BOB) is None  # treated as absent: BOB's next mention trains BOB's own
    with pytest.raises(AdapterMismatchError):
        store.load(BOB, bundle.path)


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


def _truncate(path):
    path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 2)])


def _zero_header(path):
    data = bytearray(path.read_bytes())
    data[:8] = bytes(8)
    path.write_bytes(bytes(data))


DAMAGE = {
    "truncated safetensors": ("adapter_model.safetensors", _truncate),
    "zeroed safetensors header": ("adapter_model.safetensors", _zero_header),
    "truncated vectors.npz": ("retrieval/vectors.npz", _truncate),
    "shortened entries.json": ("retrieval/entries.json", lambda p: p.write_text(p.read_text()[:-20])),
    "missing file": ("retrieval/entries.json", lambda p: p.unlink()),
    "invalid manifest JSON": ("manifest.json", lambda p: p.write_text("{not json")),
    "manifest of another partition": (
        "manifest.json",
        lambda p: p.write_text(p.read_text().replace(ALICE.key, BOB.key)),
    ),
    "manifest without checksums": (
        "manifest.json",
        lambda p: p.write_text('{"version": "x", "partition": "%s"}' % ALICE.key),
    ),
}


def full_commit(store, target, run):
    staging = store.staging(target, run)
    (staging / "adapter_model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}" + bytes(64))
    (staging / "retrieval").mkdir()
    (staging / "retrieval" / "vectors.npz").write_bytes(bytes(range(256)) * 4)
    (staging / "retrieval" / "entries.json").write_text('[{"response": "nit"}]' * 10)
    return store.commit(target, staging, {"trainer": "torchtune"})


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_served_version_is_treated_as_absent_and_a_retrain_replaces_it(tmp_path, damage):
    store = AdapterStore(tmp_path)
    served = full_commit(store, ALICE, "run1")
    store.promote(ALICE, served)
    assert store.current(ALICE).version == served.version
    name, harm = DAMAGE[damage]
    harm(served.path / name)
    assert store.current(ALICE) is None  # never raises: the sensor asks this for every mention
    with pytest.raises((CorruptAdapterError, AdapterMismatchError)):
        store.load(ALICE, served.path)
    retrained = full_commit(store, ALICE, "run2")  # what --force-reload (or the next mention) does
    store.promote(ALICE, retrained)
    assert store.current(ALICE).version == retrained.version


def test_kept_adapters_are_private(tmp_path):
    store = AdapterStore(tmp_path)
    bundle = full_commit(store, ALICE, "run1")
    store.promote(ALICE, bundle)
    assert (bundle.path / "manifest.json").stat().st_mode & 0o077 == 0
