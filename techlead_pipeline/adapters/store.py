"""The adapter cache: one folder per (reviewer, repo) partition, holding immutable versions and a
`current` pointer that is swapped atomically (rename of a symlink), so a reader always sees a
complete version and a failed retrain never disturbs the one being served.

    adapters/<partition>/versions/<version>/   adapter_config.json, adapter_model.safetensors,
                                               retrieval/, manifest.json
    adapters/<partition>/staging/<run id>/     a version being built (deleted if the run fails)
    adapters/<partition>/current -> versions/<version>

Every file of a version is listed in its manifest with its size and SHA-256, and checked before the
version is used (once per process while the files stay unchanged). A version that fails the check
(a truncated safetensors file, a zeroed header, a shortened index), whose manifest cannot be read,
or whose manifest names another partition, is unusable: `current` treats it as absent, so the next
mention retrains instead of failing review after review, and the retrained version is promoted over
it. One damaged partition never stops the others.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..common.partitions import ReviewerRepo
from ..common.private_files import write_private

MANIFEST = "manifest.json"
KEEP_VERSIONS = 3
log = logging.getLogger(__name__)


class UnusableAdapterError(RuntimeError):
    """A bundle that must not be served: damaged, unreadable, or another partition's."""


class AdapterMismatchError(UnusableAdapterError):
    """A bundle's manifest names another (reviewer, repo): refuse to serve it."""


class CorruptAdapterError(UnusableAdapterError):
    """A bundle whose files are not the ones it was sealed with, or whose manifest cannot be read."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_checksums(folder: Path) -> dict[str, dict]:
    """{relative path: {"bytes", "sha256"}} of every file under `folder` but the manifest."""
    return {
        str(p.relative_to(folder)): {"bytes": p.stat().st_size, "sha256": _sha256(p)}
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in (MANIFEST, MANIFEST + ".tmp")
    }


_verified: dict[tuple, bool] = {}  # (file, inode, size, mtime) -> checked, so a served bundle is hashed once


def verify_files(folder: Path, listed: dict[str, dict]) -> list[str]:
    """What is wrong with the files of `folder` against the manifest's list; empty when intact."""
    problems = []
    for name, expected in listed.items():
        path = folder / name
        try:
            st = path.stat()
        except OSError:
            problems.append(f"{name} is missing")
            continue
        key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns, expected.get("sha256"))
        if key in _verified:
            continue
        if st.st_size != expected.get("bytes"):
            problems.append(f"{name} has {st.st_size} bytes, sealed with {expected.get('bytes')}")
        elif _sha256(path) != expected.get("sha256"):
            problems.append(f"{name} does not match its checksum")
        else:
            _verified[key] = True
    return problems


@dataclass(frozen=True)
class AdapterBundle:
    path: Path
    manifest: dict

    @property
    def version(self) -> str:
        return self.manifest["version"]

    @property
    def has_lora(self) -> bool:
        return (self.path / "adapter_model.safetensors").exists()

    @property
    def retrieval_dir(self) -> Path:
        return self.path / "retrieval"


class AdapterStore:
    def __init__(self, root: Path):
        self.root = root

    def _dir(self, target: ReviewerRepo) -> Path:
        return self.root / target.key

    @contextmanager
    def _lock(self, target: ReviewerRepo):
        folder = self._dir(target)
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # ------------------------------------------------------------------ reading
    def current(self, target: ReviewerRepo) -> AdapterBundle | None:
        """The version served, or None when there is none or it is unusable (which is logged)."""
        link = self._dir(target) / "current"
        if not link.exists():
            return None
        try:
            return self.load(target, link.resolve())
        except UnusableAdapterError as exc:
            log.error("the served adapter of %s is unusable and treated as absent: %s", target.key, exc)
            return None

    def load(self, target: ReviewerRepo, path: Path) -> AdapterBundle:
        """The bundle at `path`, checked: its manifest readable and naming `target`, its files intact."""
        try:
            manifest = json.loads((path / MANIFEST).read_text())
        except (OSError, ValueError) as exc:
            raise CorruptAdapterError(f"the manifest of {path.name} cannot be read ({type(exc).__name__})") from None
        if not isinstance(manifest, dict) or not isinstance(manifest.get("version"), str):
            raise CorruptAdapterError(f"the manifest of {path.name} is not an adapter manifest")
        if manifest.get("partition") != target.key:
            raise AdapterMismatchError(
                f"adapter at {path} belongs to {manifest.get('partition')!r}, not {target.key!r}"
            )
        listed = manifest.get("files")
        if not isinstance(listed, dict) or not listed:
            raise CorruptAdapterError(f"the manifest of {path.name} lists no files to check")
        problems = verify_files(path, listed)
        if problems:
            raise CorruptAdapterError(f"version {path.name} is damaged: {'; '.join(problems[:3])}")
        return AdapterBundle(path, manifest)

    def version(self, target: ReviewerRepo, version: str) -> AdapterBundle:
        return self.load(target, self._dir(target) / "versions" / version)

    def versions(self, target: ReviewerRepo) -> list[str]:
        folder = self._dir(target) / "versions"
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.exists() else []

    # ------------------------------------------------------------------ writing
    def staging(self, target: ReviewerRepo, run_id: str) -> Path:
        path = self._dir(target) / "staging" / run_id
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return path

    def commit(self, target: ReviewerRepo, staging: Path, manifest: dict) -> AdapterBundle:
        """Seals a staged bundle as a new immutable version (not yet served)."""
        version = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        manifest = {
            **manifest,
            "version": version,
            "partition": target.key,
            "reviewer": target.reviewer,
            "repo": target.repo,
            "created_at": datetime.now(timezone.utc).isoformat(),
            "files": file_checksums(staging),
        }
        write_private(staging / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True, default=str))
        final = self._dir(target) / "versions" / version
        with self._lock(target):
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging, final)
        return AdapterBundle(final, manifest)

    def update_manifest(self, bundle: AdapterBundle, **changes) -> AdapterBundle:
        manifest = {**bundle.manifest, **changes}
        write_private(bundle.path / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True, default=str))
        return AdapterBundle(bundle.path, manifest)

    def promote(self, target: ReviewerRepo, bundle: AdapterBundle) -> None:
        """Makes `bundle` the one served, atomically; older versions beyond the newest few go."""
        self.load(target, bundle.path)  # refuses another partition's bundle
        with self._lock(target):
            folder = self._dir(target)
            tmp = folder / f".current-{os.getpid()}-{time.monotonic_ns()}"
            os.symlink(Path("versions") / bundle.path.name, tmp)
            os.replace(tmp, folder / "current")
            self._prune(target, keep={bundle.path.name})

    def discard(self, path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)

    def _prune(self, target: ReviewerRepo, keep: set[str]) -> None:
        names = self.versions(target)
        for name in names[:-KEEP_VERSIONS]:
            if name not in keep:
                shutil.rmtree(self._dir(target) / "versions" / name, ignore_errors=True)
