"""Run-scoped working data: what one run's steps hand each other, and nothing that outlives it.

Collected history and code contexts contain source code. They pass between steps (which may be
separate processes or pods sharing the storage volume) as Fernet-encrypted parquet under
`workspaces/<run id>/<partition>/`, so even a killed run leaves no readable source behind. The
folder is deleted by the last step of the run that uses it, on any failure, and — for runs that
were killed — by the sweep that every collection starts with, once Dagster knows the run ended.

The one plain copy of source is a step's scratch folder (the git mirror). Its process holds a lock
on it for as long as it exists, so whether its run is known to have ended or not (a killed run can
stay STARTED), a folder whose lock is free belongs to a dead process and any sweep removes it: the
mention sensor's every tick and every collection.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import re
import shutil
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd
from cryptography.fernet import InvalidToken, MultiFernet

_RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SCRATCH_PREFIX = "scratch-"
SCRATCH_LOCK = ".in-use"
# A workspace of a run this Dagster instance does not know (another instance sharing the home, or a
# run deleted since) is left to its owner for this long; what it holds is encrypted.
FOREIGN_WORKSPACE_TTL_S = 7 * 24 * 3600


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

    @contextmanager
    def scratch(self) -> Iterator[Path]:
        """A private folder for plain files that must not outlive the step (a git mirror), locked
        while in use and deleted when the `with` ends (or by a sweep, if the process dies first)."""
        path = self.dir / f"{SCRATCH_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        path.mkdir(parents=True, mode=0o700)
        with open(path / SCRATCH_LOCK, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield path
            finally:
                shutil.rmtree(path, ignore_errors=True)

    def purge(self) -> None:
        shutil.rmtree(self.root / self.run_id, ignore_errors=True)


def sweep_plaintext(root: Path) -> int:
    """Removes every scratch folder whose process is gone (its lock is free), whatever the state of
    its run; returns how many. Safe beside live steps of any instance: theirs are locked."""
    removed = 0
    if not root.exists():
        return removed
    for folder in root.glob(f"*/*/{SCRATCH_PREFIX}*"):
        try:
            with open(folder / SCRATCH_LOCK, "r") as lock:  # never created here: see below
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        except BlockingIOError:
            continue  # in use
        except FileNotFoundError:
            # Removed by its owner meanwhile, or just made and its lock not yet taken (the owner
            # opens it next): only a folder left lockless for a minute is a dead process's.
            with contextlib.suppress(FileNotFoundError):
                if time.time() - folder.stat().st_mtime > 60:
                    shutil.rmtree(folder, ignore_errors=True)
                    removed += 1
    return removed


def sweep_workspaces(root: Path, run_state: Callable[[str], bool | None], min_age_s: float = 0) -> list[str]:
    """Deletes the workspaces of runs that ended (run_state False), and of runs this instance does
    not know (None) once they are FOREIGN_WORKSPACE_TTL_S old; returns their run ids. Plain scratch
    folders of dead processes go first, whatever their run."""
    sweep_plaintext(root)
    removed = []
    if not root.exists():
        return removed
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        age = time.time() - folder.stat().st_mtime
        if min_age_s and age < min_age_s:
            continue
        state = run_state(folder.name)
        if state is False or (state is None and age > FOREIGN_WORKSPACE_TTL_S):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed
