"""The stand-in's request, response and error types, and GitHub's error bodies."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

DOCS = "https://docs.github.com/rest"


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def to_sentence(messages: list[str]) -> str:
    """GitHub (Rails) joins several validation messages into one string: "a, b, and c"."""
    unique = list(dict.fromkeys(messages))
    if len(unique) <= 2:
        return " and ".join(unique)
    return ", ".join(unique[:-1]) + ", and " + unique[-1]


class HttpError(Exception):
    """An error answer. `errors` is GitHub's `errors` array, sent as given."""

    def __init__(self, status: int, message: str, errors: list | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict:
        out: dict[str, Any] = {"message": self.message, "documentation_url": DOCS}
        if self.errors is not None:
            out["errors"] = self.errors
        out["status"] = str(self.status)
        return out


def unprocessable(*messages: str) -> HttpError:
    """GitHub's 422 for a refused review: one string naming what is wrong, never which item."""
    return HttpError(422, "Unprocessable Entity", errors=[to_sentence(list(messages))])


def validation_failed(resource: str, field_name: str, code: str = "missing_field") -> HttpError:
    return HttpError(422, "Validation Failed", errors=[{"resource": resource, "code": code, "field": field_name}])


@dataclass
class Identity:
    login: str
    key: str  # rate-limit bucket; a digest, never the token itself
    kind: str  # "user", "installation", "app"
    repos: set[str] | None = None  # installation tokens: lower-case repos they may touch
    app: dict | None = None
    installation_id: int | None = None


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Any
    body: bytes
    identity: Identity | None = None

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"{}")
        except json.JSONDecodeError as exc:
            raise HttpError(400, "Problems parsing JSON") from exc


@dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-able, or bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"
    counted: bool = True  # counts against the rate limit
