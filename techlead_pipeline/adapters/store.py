"""The adapter cache: one folder per (reviewer, repo) partition, holding immutable versions and a
`current` pointer that is swapped atomically (rename of a symlink), so a reader always sees a
complete version and a failed retrain never disturbs the one being served.

    adapters/<partition>/versions/<version>/   adapter_config.json, adapter_model.safetensors,
                                               retrieval/, manifest.json
    adapters/<partition>/staging/<run id>/     a version being built (deleted if the run fails)
    adapters/<partition>/current -> versions/<version>
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..partitions import ReviewerRepo

MANIFEST = "manifest.json"
KEEP_VERSIONS = 3


class AdapterMismatchError(RuntimeError):
    """A bundle's manifest names another (reviewer, repo): refuse to serve it."""


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
        link = self._dir(target) / "current"
        if not link.exists():
            return None
        return self.load(target, link.resolve())

    def load(self, target: ReviewerRepo, path: Path) -> AdapterBundle:
        manifest = json.loads((path / MANIFEST).read_text())
        if manifest.get("partition") != target.key:
            raise AdapterMismatchError(
                f"adapter at {path} belongs to {manifest.get('partition')!r}, not {target.key!r}"
            )
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
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True, default=str))
        final = self._dir(target) / "versions" / version
        with self._lock(target):
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging, final)
        return AdapterBundle(final, manifest)

    def update_manifest(self, bundle: AdapterBundle, **changes) -> AdapterBundle:
        manifest = {**bundle.manifest, **changes}
        tmp = bundle.path / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True, default=str))
        os.replace(tmp, bundle.path / MANIFEST)
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
