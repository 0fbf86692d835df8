"""The run workspace keeps data encrypted at rest and disappears with its run."""

from __future__ import annotations

import pandas as pd
import pytest
from cryptography.fernet import Fernet, MultiFernet

from techlead_pipeline.common.run_workspace import RunWorkspace, WorkspaceMissingError, sweep_workspaces


@pytest.fixture
def fernet():
    return MultiFernet([Fernet(Fernet.generate_key())])


def test_frames_round_trip_and_are_unreadable_on_disk(tmp_path, fernet):
    ws = RunWorkspace(tmp_path, "run-1", "a@b+c", fernet)
    frame = pd.DataFrame({"code": ["SECRET_SOURCE_LINE = 1"], "n": [3]})
    ws.write_frame("code_contexts", frame)
    assert ws.read_frame("code_contexts").equals(frame)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"SECRET_SOURCE_LINE" not in path.read_bytes()
    ws.purge()
    assert not (tmp_path / "run-1").exists()
    with pytest.raises(WorkspaceMissingError, match="train_reviewer"):
        ws.read_frame("code_contexts")


def test_sweep_removes_only_dead_runs(tmp_path, fernet):
    for run in ("alive", "dead"):
        RunWorkspace(tmp_path, run, "k", fernet).write_json("x", {"a": 1})
    assert sweep_workspaces(tmp_path, lambda run_id: run_id == "alive") == ["dead"]
    assert (tmp_path / "alive").exists() and not (tmp_path / "dead").exists()


def test_run_ids_cannot_escape_the_root(tmp_path, fernet):
    with pytest.raises(ValueError):
        RunWorkspace(tmp_path, "../etc", "k", fernet)


def test_a_scratch_folder_is_swept_only_once_its_process_cannot_be_holding_it(tmp_path, fernet):
    import os
    import time

    from techlead_pipeline.common.run_workspace import SCRATCH_LOCK, sweep_plaintext

    workspace = RunWorkspace(tmp_path, "run1", "p", fernet)
    with workspace.scratch() as live:
        assert sweep_plaintext(tmp_path) == 0 and live.exists()  # locked by this process
    # A folder just made, whose owner has not opened its lock yet, is not a dead process's...
    fresh = workspace.dir / "scratch-1-new"
    fresh.mkdir(parents=True)
    assert sweep_plaintext(tmp_path) == 0 and fresh.exists()
    # ...until it has stayed lockless for a minute; an unlocked lock means its process is gone.
    os.utime(fresh, (time.time() - 120, time.time() - 120))
    dead = workspace.dir / "scratch-2-dead"
    dead.mkdir()
    (dead / SCRATCH_LOCK).touch()
    assert sweep_plaintext(tmp_path) == 2 and not fresh.exists() and not dead.exists()
