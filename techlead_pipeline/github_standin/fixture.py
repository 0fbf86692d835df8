"""Loads a stand-in fixture folder (format: FIXTURE_FORMAT.md) into mutable in-memory state."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIXTURE_FILE = "fixture.json"


@dataclass
class RepoState:
    owner: str
    name: str
    meta: dict[str, Any]
    git_dir: Path
    pulls: dict[int, dict[str, Any]]
    review_comments: list[dict[str, Any]]
    issue_comments: list[dict[str, Any]]
    reviews: list[dict[str, Any]]
    collaborators: dict[str, str]

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class FixtureState:
    root: Path
    users: dict[str, dict[str, Any]]  # lower-case login -> user record
    tokens: dict[str, str]  # token -> login
    apps: list[dict[str, Any]]
    repos: dict[str, RepoState]  # lower-case "owner/name" -> repo
    lock: threading.RLock = field(default_factory=threading.RLock)
    next_id: int = 10_000_000

    def new_id(self) -> int:
        with self.lock:
            self.next_id += 1
            return self.next_id

    def add_reaction(self, comment: dict[str, Any], login: str, content: str) -> dict[str, Any]:
        """A reaction by `login` on a stored comment (the caller holds the lock)."""
        from datetime import datetime, timezone

        made = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        reaction = {"id": self.new_id(), "user": login, "content": content, "created_at": made}
        comment.setdefault("reactions", []).append(reaction)  # GitHub leaves `updated_at` as it was
        return reaction

    def user(self, login: str) -> dict[str, Any] | None:
        return self.users.get(login.lower())

    def repo(self, owner: str, name: str) -> RepoState | None:
        return self.repos.get(f"{owner}/{name}".lower())


def _read_json(path: Path, default: Any) -> Any:
    if not path.exists():
        return default
    return json.loads(path.read_text(encoding="utf-8"))


def load_fixture(root: Path | str) -> FixtureState:
    root = Path(root).resolve()
    spec_path = root / FIXTURE_FILE
    if not spec_path.exists():
        raise FileNotFoundError(f"{spec_path} not found: not a stand-in fixture folder")
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    users = {u["login"].lower(): u for u in spec.get("users", [])}
    repos: dict[str, RepoState] = {}
    max_id = 0
    for full_name in spec.get("repositories", []):
        owner, name = full_name.split("/", 1)
        folder = root / "repos" / owner / name
        meta = _read_json(folder / "repository.json", {})
        pulls = {int(p["number"]): p for p in _read_json(folder / "pulls.json", [])}
        state = RepoState(
            owner=owner,
            name=name,
            meta=meta,
            git_dir=folder / "repository.git",
            pulls=pulls,
            review_comments=_read_json(folder / "review_comments.json", []),
            issue_comments=_read_json(folder / "issue_comments.json", []),
            reviews=_read_json(folder / "reviews.json", []),
            collaborators={k.lower(): v for k, v in _read_json(folder / "collaborators.json", {}).items()},
        )
        for records in (state.review_comments, state.issue_comments, state.reviews):
            max_id = max([max_id, *(int(r["id"]) for r in records)])
        repos[full_name.lower()] = state
    fixture = FixtureState(
        root=root,
        users=users,
        tokens=dict(spec.get("tokens", {})),
        apps=list(spec.get("apps", [])),
        repos=repos,
    )
    fixture.next_id = max(fixture.next_id, max_id + 1)
    return fixture
