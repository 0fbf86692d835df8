"""Thin, safe wrapper around the `git` command line.

Used by the sample builder, the GitHub stand-in (which serves a bare repository) and the
history collector (which reads file text from a local clone). Secrets never go on a command
line (where `ps` would show them): callers pass extra headers through `GIT_CONFIG_*` env vars.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

# A fixed identity and no user/system config, so results never depend on the machine.
_BASE_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_AUTHOR_NAME": "techlead",
    "GIT_AUTHOR_EMAIL": "techlead@localhost",
    "GIT_COMMITTER_NAME": "techlead",
    "GIT_COMMITTER_EMAIL": "techlead@localhost",
    "LC_ALL": "C",
}


class GitError(RuntimeError):
    """A git command failed. The message never contains the environment (where secrets live)."""


def git_env(extra: Mapping[str, str] | None = None, config: Mapping[str, str] | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["HOME"] = env.get("HOME", "/nonexistent")
    env.update(_BASE_ENV)
    if config:
        # GIT_CONFIG_COUNT/KEY_n/VALUE_n: config that is not visible on the command line.
        env["GIT_CONFIG_COUNT"] = str(len(config))
        for i, (key, value) in enumerate(config.items()):
            env[f"GIT_CONFIG_KEY_{i}"] = key
            env[f"GIT_CONFIG_VALUE_{i}"] = value
    if extra:
        env.update(extra)
    return env


def run_git(
    args: Sequence[str],
    cwd: Path | str | None = None,
    *,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float | None = 600,
) -> bytes:
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        input=input,
        env=dict(env) if env is not None else git_env(),
        capture_output=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        stderr = proc.stderr.decode("utf-8", "replace").strip()
        raise GitError(f"git {args[0]} failed ({proc.returncode}): {stderr[-500:]}")
    return proc.stdout


def git_text(args: Sequence[str], cwd: Path | str | None = None, **kwargs) -> str:
    return run_git(args, cwd, **kwargs).decode("utf-8", "replace")


def looks_binary(data: bytes) -> bool:
    """Git's own heuristic: a NUL byte in the first 8000 bytes means binary."""
    return b"\0" in data[:8000]


class BlobReader:
    """Reads many blobs through one long-lived `git cat-file --batch` process."""

    def __init__(self, git_dir: Path | str, env: Mapping[str, str] | None = None):
        self._proc = subprocess.Popen(
            ["git", "cat-file", "--batch"],
            cwd=git_dir,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=dict(env) if env is not None else git_env(),
        )

    def read(self, rev: str, path: str | None = None) -> tuple[str, bytes] | None:
        """Return (object type, content) for `rev` or `rev:path`; None when it does not exist."""
        spec = f"{rev}:{path}" if path is not None else rev
        if "\n" in spec:
            return None
        assert self._proc.stdin and self._proc.stdout
        if not self.alive:
            return None
        try:
            self._proc.stdin.write(spec.encode() + b"\n")
            self._proc.stdin.flush()
        except BrokenPipeError:
            return None
        header = self._proc.stdout.readline().decode("utf-8", "replace").rstrip("\n")
        if not header:  # git died (in a partial clone, on an object it could not fetch): start another
            self._proc.wait(timeout=10)
            return None
        if header.endswith(" missing") or header.endswith(" ambiguous"):
            return None
        _oid, kind, size = header.rsplit(" ", 2)
        data = self._proc.stdout.read(int(size))
        self._proc.stdout.read(1)  # trailing newline
        return kind, data

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def close(self) -> None:
        if self._proc.poll() is None:
            assert self._proc.stdin
            self._proc.stdin.close()
            self._proc.wait(timeout=10)

    def __enter__(self) -> "BlobReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
