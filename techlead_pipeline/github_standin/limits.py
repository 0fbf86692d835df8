"""GitHub's limits as the stand-in enforces them: the hourly primary rate limit per token (with its
`X-RateLimit-*` headers) and the secondary limit on content-creating requests a minute."""

from __future__ import annotations

import threading
import time

from .faults import SECONDARY_LIMIT_MESSAGE
from .protocol import HttpError

CORE_LIMIT = 5000
SEARCH_LIMIT = 30
CONTENT_PER_MINUTE = 80  # GitHub's secondary limit on content-creating requests


class RateLimiter:
    def __init__(self, core_limit: int = CORE_LIMIT, search_limit: int = SEARCH_LIMIT, core_window_s: int = 3600):
        self.limits = {"core": (core_limit, core_window_s), "search": (search_limit, 60)}
        self._buckets: dict[tuple[str, str], dict] = {}
        self._lock = threading.Lock()

    def _bucket(self, key: str, resource: str) -> dict:
        limit, window = self.limits[resource]
        now = time.time()
        b = self._buckets.get((key, resource))
        if b is None or now >= b["reset"]:
            b = {"limit": limit, "used": 0, "reset": int(now) + window}
            self._buckets[(key, resource)] = b
        return b

    def _refuse(self, key: str, b: dict, resource: str) -> HttpError:
        headers = self._headers(b, resource)
        headers["Retry-After"] = str(max(1, int(b["reset"] - time.time())))
        return HttpError(403, f"API rate limit exceeded for {key[:8]}.", headers=headers)

    def consume(self, key: str, resource: str) -> dict:
        with self._lock:
            b = self._bucket(key, resource)
            if b["used"] >= b["limit"]:
                raise self._refuse(key, b, resource)
            b["used"] += 1
            return self._headers(b, resource)

    def check(self, key: str, resource: str) -> None:
        """Refuses the request up front when the bucket is empty (before any side effect)."""
        with self._lock:
            b = self._bucket(key, resource)
            if b["used"] >= b["limit"]:
                raise self._refuse(key, b, resource)

    def peek(self, key: str, resource: str) -> dict:
        with self._lock:
            return self._headers(self._bucket(key, resource), resource)

    def snapshot(self, key: str, resource: str) -> dict:
        with self._lock:
            b = self._bucket(key, resource)
            return {"limit": b["limit"], "used": b["used"], "remaining": b["limit"] - b["used"], "reset": b["reset"]}

    @staticmethod
    def _headers(b: dict, resource: str) -> dict:
        return {
            "X-RateLimit-Limit": str(b["limit"]),
            "X-RateLimit-Remaining": str(b["limit"] - b["used"]),
            "X-RateLimit-Reset": str(b["reset"]),
            "X-RateLimit-Used": str(b["used"]),
            "X-RateLimit-Resource": resource,
        }


class ContentCreationLimit:
    """Too many content-creating requests from one identity within a minute get a 403 with Retry-After."""

    def __init__(self, per_minute: int = CONTENT_PER_MINUTE):
        self.per_minute = per_minute
        self._writes: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        with self._lock:
            now = time.time()
            recent = [t for t in self._writes.get(key, []) if now - t < 60]
            if len(recent) >= self.per_minute:
                self._writes[key] = recent
                raise HttpError(
                    403, SECONDARY_LIMIT_MESSAGE, headers={"Retry-After": str(int(60 - (now - recent[0])) + 1)}
                )
            self._writes[key] = recent + [now]
