"""`dagster dev` for this code location on loopback, as the UI check and the load benchmark run it:
the real webserver, daemon and sensors in their own process group, against a DAGSTER_HOME of the
caller's choosing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # where workspace.yaml is


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def dagster_dev(
    env: dict[str, str], output: IO | int = subprocess.DEVNULL, start_timeout_s: float = 90
) -> Iterator[str]:
    """Yields the UI's URL once it answers. `env` is laid over this process's environment with its
    own TECHLEAD_* and DAGSTER_* removed, so the server sees only the deployment it is given."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("TECHLEAD_", "DAGSTER_"))} | env
    port = free_port()
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dagster"),
            "dev",
            "-w",
            "workspace.yaml",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=PROJECT_ROOT,
        env=full_env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout_s
        while True:
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"dagster dev did not start within {start_timeout_s:.0f} s") from None
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
