"""GitHub writes that happen exactly once.

urllib3 must not retry a POST: when GitHub did the work and only its answer was lost (a 502 from a
proxy, a reset connection), a blind retry posts the review twice. So writes are retried here, and
before every retry the caller's `already_done` asks GitHub whether an earlier attempt took effect
(our posts carry a hidden marker of the mention they answer). Rate-limit refusals wait for
Retry-After; other 4xx answers (422 ...) are the caller's to handle.
"""

from __future__ import annotations

import logging
import time
from typing import Callable, TypeVar

import requests
from github import GithubException

log = logging.getLogger(__name__)
T = TypeVar("T")
TRANSIENT_STATUS = {403, 429, 500, 502, 503, 504}


def _transient(exc: Exception) -> float | None:
    """Seconds to wait before retrying `exc`, or None when it is not worth retrying."""
    if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.Timeout)):
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


def write_once(what: str, attempt: Callable[[], T], already_done: Callable[[], T | None] | None = None,
               tries: int = 6, backoff: float = 1.0) -> T:
    last: Exception | None = None
    for n in range(tries):
        if n and already_done is not None:
            done = already_done()
            if done is not None:
                log.info("%s: an earlier attempt had gone through; not repeating it", what)
                return done
        try:
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
