"""GitHub writes that happen exactly once.

urllib3 must not retry a POST: when GitHub did the work and only its answer was lost (a 502 from a
proxy, a reset connection), a blind retry posts the review twice. So writes are retried here, and
before every retry the caller's `already_done` asks GitHub whether an earlier attempt took effect
(our posts carry a hidden marker of the mention they answer). Rate-limit refusals wait for
Retry-After; other 4xx answers (422 ...) are the caller's to handle.
"""

from __future__ import annotations

import fcntl
import json
import logging
import time
from pathlib import Path
from typing import Callable, TypeVar

from github import GithubException

from .reads import NETWORK_ERRORS

log = logging.getLogger(__name__)
T = TypeVar("T")
TRANSIENT_STATUS = {403, 429, 500, 502, 503, 504}


def is_transient(exc: Exception) -> bool:
    """GitHub away or pacing us (worth trying again later), as opposed to saying no."""
    from ..common.errors import GitHubUnavailableError

    return isinstance(exc, GitHubUnavailableError) or _transient(exc) is not None


def _transient(exc: Exception) -> float | None:
    """Seconds to wait before retrying `exc`, or None when it is not worth retrying."""
    if isinstance(exc, NETWORK_ERRORS):
        return 0.0
    if isinstance(exc, GithubException) and exc.status in TRANSIENT_STATUS:
        headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
        if exc.status == 403 and "retry-after" not in headers and "rate limit" not in str(exc.data).lower():
            return None  # a plain permission refusal
        try:
            return float(headers.get("retry-after", 0))
        except ValueError:
            return 0.0
    return None


class WriteBudget:
    """GitHub's secondary limit allows about 80 content-creating requests a minute per identity. Every
    process of the bot (sensor, runs, pods sharing the volume) takes a slot from one budget file
    before writing, so together they stay under `per_minute` in any 60 seconds."""

    def __init__(self, path: Path, per_minute: int, window_s: float = 60.0):
        self.path = path
        self.per_minute = per_minute
        self.window_s = window_s

    def used(self) -> int:
        """Slots taken in the last window, by every process."""
        if not self.path.exists():
            return 0
        with open(self.path) as fh:
            fcntl.flock(fh, fcntl.LOCK_SH)
            try:
                stamps = json.loads(fh.read() or "[]")
            except ValueError:
                return 0
        now = time.time()
        return sum(1 for t in stamps if now - t < self.window_s)

    def acquire(self) -> float:
        """Blocks until a slot is free; returns the time the slot was taken."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            with open(self.path, "a+") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                fh.seek(0)
                now = time.time()
                try:
                    stamps = [t for t in json.loads(fh.read() or "[]") if now - t < self.window_s]
                except ValueError:
                    stamps = []
                if len(stamps) < self.per_minute:
                    fh.seek(0)
                    fh.truncate()
                    fh.write(json.dumps(stamps + [now]))
                    return now
                wait = max(0.05, self.window_s - (now - min(stamps)))
            time.sleep(min(wait, 1.0))


def write_once(
    what: str,
    attempt: Callable[[], T],
    already_done: Callable[[], T | None] | None = None,
    tries: int = 6,
    backoff: float = 1.0,
    budget: WriteBudget | None = None,
) -> T:
    last: Exception | None = None
    for n in range(tries):
        if n and already_done is not None:
            done = already_done()
            if done is not None:
                log.info("%s: an earlier attempt had gone through; not repeating it", what)
                return done
        try:
            if budget is not None:
                budget.acquire()
            return attempt()
        except Exception as exc:  # noqa: BLE001 - classified just below
            wait = _transient(exc)
            if wait is None or n == tries - 1:
                raise
            last = exc
            wait = max(wait, backoff * 2**n)
            log.warning("%s failed (%s); retrying in %.1fs", what, type(exc).__name__, wait)
            time.sleep(wait)
    raise RuntimeError(f"{what} kept failing") from last
