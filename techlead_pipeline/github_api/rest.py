"""GitHub's REST answers as the JSON GitHub sent, through PyGithub's requester (its auth, token
refresh and urllib3 retries for reads).

Why not PyGithub's objects: GitHub leaves optional fields out (`in_reply_to_id` on every top-level
review comment), and reading an absent attribute of a PyGithub object makes it fetch the whole
object again, one hidden request per comment that no retry wrapper sees. Here every field is read
with `.get()` from the page it came on, and every request is one we chose to make.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any, Callable, Iterator

from github import GithubException

from .reads import with_transient_retry

PER_PAGE = 100
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')
log = logging.getLogger(__name__)


def next_link(headers: dict) -> str | None:
    link = {k.lower(): v for k, v in (headers or {}).items()}.get("link") or ""
    match = _NEXT.search(link)
    return match.group(1) if match else None


class GitHubRest:
    """`floor`: when GitHub says fewer requests than this are left in the hour, wait for its reset
    (at most `max_wait_s`) instead of spending the last ones, and say so through `notify` (the
    Dagster run's log): a 3,000-PR history must not starve the reviews that share the budget."""

    def __init__(
        self, requester, floor: int = 0, max_wait_s: float = 3600, notify: Callable[[str], None] | None = None
    ):
        self.requester = requester
        self.floor = floor
        self.max_wait_s = max_wait_s
        self.notify = notify
        self.remaining: int | None = None
        self.paused_s = 0.0

    def _pace(self, headers: dict) -> None:
        lower = {k.lower(): v for k, v in (headers or {}).items()}
        try:
            remaining = int(lower["x-ratelimit-remaining"])
            reset = float(lower["x-ratelimit-reset"])
            limit = int(lower.get("x-ratelimit-limit", 5000))
        except (KeyError, ValueError):
            return
        core = lower.get("x-ratelimit-resource", "core") == "core"
        if core:
            self.remaining = remaining
        # Search allows 30 a minute: keep a tenth of that, not the hourly floor.
        floor = min(self.floor, limit - 1) if core else limit // 10
        if floor and remaining < floor:
            wait = min(max(reset - time.time(), 0.0) + 1.0, self.max_wait_s)
            message = f"GitHub rate limit: {remaining} requests left; pausing {wait:.0f}s until it resets"
            log.warning(message)
            if self.notify:
                self.notify(message)
            time.sleep(wait)
            self.paused_s += wait

    def get_with_headers(self, path: str, what: str, params: dict | None = None) -> tuple[dict, Any]:
        headers, data = with_transient_retry(
            what, lambda: self.requester.requestJsonAndCheck("GET", path, parameters=params)
        )
        self._pace(headers)
        return headers, data

    def get(self, path: str, what: str, params: dict | None = None) -> Any:
        return self.get_with_headers(path, what, params)[1]

    def page_at(self, url: str, what: str, params: dict | None = None, items_key: str | None = None):
        """One page of a list endpoint and the address of the next one (None after the last).
        `url` is a path with `params` for the first page, or the `next` link GitHub gave, which
        carries the whole query. A page may hold fewer than `PER_PAGE` items and still not be the
        last (GitHub filters some pages after cutting them): only the Link header says."""
        query = {**(params or {}), "per_page": PER_PAGE} if params is not None else None
        headers, data = self.get_with_headers(url, what, query)
        return list(data.get(items_key, []) if items_key else data or []), next_link(headers)

    def pages(self, path: str, what: str, params: dict | None = None, items_key: str | None = None) -> Iterator[list]:
        """Every page of a list endpoint, following GitHub's `Link: rel="next"` (never guessing page numbers)."""
        url: str | None = path
        query: dict | None = params or {}
        while url:
            items, url = self.page_at(url, what, query, items_key)
            yield items
            query = None  # the next link carries the whole query

    def post(self, path: str, body: dict) -> Any:
        """One POST, not retried here: callers go through github_api/writes.write_once."""
        return self.requester.requestJsonAndCheck("POST", path, input=body)[1]

    def delete(self, path: str) -> None:
        self.requester.requestJsonAndCheck("DELETE", path)


def is_not_found(exc: Exception) -> bool:
    return isinstance(exc, GithubException) and exc.status == 404


def login_of(obj: dict | None) -> str:
    """The login of a JSON user (GitHub sends `null` for deleted accounts, shown as "ghost")."""
    return ((obj or {}).get("login")) or "ghost"
