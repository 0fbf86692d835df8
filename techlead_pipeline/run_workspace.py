"""Run-scoped working data: what one run's steps hand each other, and nothing that outlives it.

Collected history and code contexts contain source code. They pass between steps (which may be
separate processes or pods sharing the storage volume) as Fernet-encrypted parquet under
`workspaces/<run id>/<partition>/`, so even a killed run leaves no readable source behind. The
folder is deleted by the last step of the run that uses it, on any failure, and — for runs that
were killed — by the sweep that every collection starts with.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import time
from pathlib import Path

import pandas as pd
from cryptography.fernet import InvalidToken, MultiFernet

_RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class WorkspaceMissingError(RuntimeError):
    pass


class RunWorkspace:
    def __init__(self, root: Path, run_id: str, partition_key: str, fernet: MultiFernet):
        if not _RUN_ID.match(run_id):
            raise ValueError(f"unexpected run id {run_id!r}")
        self.root = root
        self.run_id = run_id
        self.dir = root / run_id / partition_key
        self.fernet = fernet

    def _path(self, name: str) -> Path:
        return self.dir / f"{name}.enc"

    def write_bytes(self, name: str, data: bytes) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self._path(name).with_suffix(".tmp")
        tmp.write_bytes(self.fernet.encrypt(data))
        tmp.replace(self._path(name))

    def read_bytes(self, name: str) -> bytes:
        path = self._path(name)
        if not path.exists():
            raise WorkspaceMissingError(
                f"`{name}` exists only inside the run that produced it and this run has none: "
                "materialize it together with its upstream assets (the `train_reviewer` job does)."
            )
        try:
            return self.fernet.decrypt(path.read_bytes())
        except InvalidToken as exc:
            raise WorkspaceMissingError(f"`{name}` cannot be decrypted with the configured keys") from exc

    def write_frame(self, name: str, df: pd.DataFrame) -> None:
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        self.write_bytes(name, buf.getvalue())

    def read_frame(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(io.BytesIO(self.read_bytes(name)))

    def write_json(self, name: str, data) -> None:
        self.write_bytes(name, json.dumps(data, default=str).encode())

    def read_json(self, name: str):
        return json.loads(self.read_bytes(name))

    def has(self, name: str) -> bool:
        return self._path(name).exists()

    def scratch(self) -> Path:
        """A private folder for plain files that must not outlive the step (a git mirror)."""
        path = self.dir / "scratch"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def purge(self) -> None:
        shutil.rmtree(self.root / self.run_id, ignore_errors=True)


def sweep_workspaces(root: Path, is_active, min_age_s: float = 0) -> list[str]:
    """Deletes the workspaces of runs that are no longer running; returns their run ids."""
    removed = []
    if not root.exists():
        return removed
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        if min_age_s and time.time() - folder.stat().st_mtime < min_age_s:
            continue
        if not is_active(folder.name):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed
