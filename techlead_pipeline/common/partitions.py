"""Partition keys for one (reviewer, repository) pair.

A key reads `reviewer@owner+repo`, lower-cased (GitHub names are case-insensitive). GitHub
logins hold letters, digits and `-` (never first; accounts older than today's rules may end with
one or hold two in a row); repository names also `.` and `_`; none holds `@`, `+` or
`/` (which would break Dagster's path-based storage). Dagster refuses `...` inside a key, so a
repository name with a run of three dots has its dots written as `%2E`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import dagster as dg

from .invisible_text import without_invisible
from .safe_markdown import code_span

LOGIN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}$")
REPO_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")

reviewer_repo_partitions = dg.DynamicPartitionsDefinition(name="reviewer_repo")


class InvalidNameError(ValueError):
    """A login or repository name that GitHub would not accept."""


@dataclass(frozen=True)
class ReviewerRepo:
    reviewer: str
    owner: str
    name: str

    @property
    def repo(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def key(self) -> str:
        name = self.name.lower()
        if "..." in name:
            name = name.replace(".", "%2E")
        return f"{self.reviewer.lower()}@{self.owner.lower()}+{name}"

    def __str__(self) -> str:
        return f"{self.reviewer} in {self.repo}"


def validate_login(login: str, what: str = "login") -> str:
    login = without_invisible(login).strip().lstrip("@")
    if not LOGIN_RE.match(login):
        raise InvalidNameError(f"{code_span(login, 60)} is not a valid GitHub {what}")
    return login


def parse_repo(full_name: str) -> tuple[str, str]:
    owner, sep, name = without_invisible(full_name).strip().partition("/")
    if not sep:
        raise InvalidNameError(f"{code_span(full_name, 120)} is not OWNER/NAME")
    validate_login(owner, "owner")
    if not REPO_NAME_RE.match(name) or name in (".", ".."):
        raise InvalidNameError(f"{code_span(name, 120)} is not a valid GitHub repository name")
    return owner, name


def reviewer_repo(reviewer: str, repo: str) -> ReviewerRepo:
    owner, name = parse_repo(repo)
    return ReviewerRepo(validate_login(reviewer, "reviewer login"), owner, name)


def from_key(key: str) -> ReviewerRepo:
    reviewer, at, rest = key.partition("@")
    owner, plus, name = rest.partition("+")
    if not at or not plus:
        raise InvalidNameError(f"{code_span(key, 120)} is not a reviewer@owner+repo partition key")
    return reviewer_repo(reviewer, f"{owner}/{name.replace('%2E', '.').replace('%2e', '.')}")
