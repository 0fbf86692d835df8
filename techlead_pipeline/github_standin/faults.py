"""Switchable faults for the stand-in: latency, rate-limit refusals, 5xx and broken connections.

A rule matches requests by method and a regular expression over the path (query included), lets
`skip` matches through, then fires `times` times (-1: forever). Rules are evaluated in order; the
first one that fires decides the response. Latency rules add up and never block other rules.
"""

from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

SECONDARY_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID."
)

# Kinds of fault a rule can inject.
KINDS = (
    "status",
    "secondary_rate_limit",
    "too_many_requests",
    "bad_gateway",
    "reset",
    "truncate",
    "latency",
    "lost_response",
    "short_page",
)
# lost_response: the request is processed, then the client gets a 502.
# short_page: a list answer keeps its Link header but loses items, as GitHub's do when it filters a
# page after paginating it (items the caller may not see): a short page is not the last page.


@dataclass
class FaultRule:
    kind: str
    path: str = ".*"
    method: str | None = None
    times: int = 1
    skip: int = 0
    status: int | None = None
    retry_after: float | None = None
    latency_ms: float = 0.0
    message: str | None = None
    # Review comments whose body contains this text are rejected with 422 (kind == "reject_comment").
    fired: int = field(default=0)
    seen: int = field(default=0)

    def __post_init__(self) -> None:
        if self.kind not in KINDS + ("reject_comment",):
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {KINDS + ('reject_comment',)}")
        self._regex = re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return bool(self._regex.search(path))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return data


class FaultPlan:
    """Thread-safe list of fault rules plus counters of what fired."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self.fired_total: dict[str, int] = {}

    def add(self, **kwargs: Any) -> FaultRule:
        rule = FaultRule(**kwargs)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def latency_ms(self, method: str, path: str) -> float:
        total = 0.0
        with self._lock:
            for rule in self._rules:
                if rule.kind == "latency" and rule.matches(method, path):
                    rule.seen += 1
                    if rule.seen <= rule.skip:
                        continue
                    if rule.times < 0 or rule.fired < rule.times:
                        total += rule.latency_ms
                        if rule.times >= 0:
                            rule.fired += 1
        return total

    def next_fault(self, method: str, path: str) -> FaultRule | None:
        """The rule that fires for this request, if any (latency and comment rules excluded)."""
        with self._lock:
            for rule in self._rules:
                if rule.kind in ("latency", "reject_comment") or not rule.matches(method, path):
                    continue
                rule.seen += 1
                if rule.seen <= rule.skip:
                    continue
                if rule.times >= 0 and rule.fired >= rule.times:
                    continue
                rule.fired += 1
                self.fired_total[rule.kind] = self.fired_total.get(rule.kind, 0) + 1
                return rule
        return None

    def rejected_comment(self, path: str, body: str) -> bool:
        """Whether a `reject_comment` rule refuses a review comment with this body."""
        with self._lock:
            for rule in self._rules:
                if rule.kind != "reject_comment" or not rule.matches("POST", path):
                    continue
                if rule.message and rule.message in body and (rule.times < 0 or rule.fired < rule.times):
                    rule.fired += 1
                    self.fired_total[rule.kind] = self.fired_total.get(rule.kind, 0) + 1
                    return True
        return False
