"""The stand-in's REST resources, one room each. A room's handlers are declared with `@serves`, by the
operation's path template in GitHub's OpenAPI description (contract/operations.py): the contract is
the router, so the stand-in serves nothing GitHub does not document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlencode

from .. import shapes
from ..fixture import RepoState
from ..protocol import HttpError, Request, Response, parse_iso

if TYPE_CHECKING:
    from ..server import GitHubStandin


def serves(method: str, template: str) -> Callable:
    def mark(fn: Callable) -> Callable:
        fn.__dict__.setdefault("operations", []).append((method, template))
        return fn

    return mark


class Room:
    def __init__(self, standin: "GitHubStandin"):
        self.standin = standin
        self.fixture = standin.fixture

    def handlers(self) -> dict[tuple[str, str], Callable[..., Response]]:
        out = {}
        for name in dir(type(self)):
            fn = getattr(self, name)
            for op in getattr(fn, "operations", ()):
                out[op] = fn
        return out

    # ------------------------------------------------------------------ shared look-ups
    @property
    def urls(self) -> shapes.Urls:
        return self.standin.urls

    def repo_or_404(self, owner: str, name: str, req: Request | None = None) -> RepoState:
        state = self.fixture.repo(owner, name)
        if state is None:
            raise HttpError(404, "Not Found")
        if req is not None:
            ident = req.identity
            if ident and ident.kind == "installation" and state.full_name.lower() not in (ident.repos or set()):
                raise HttpError(404, "Not Found")
            if state.meta.get("private") and ident is None:
                raise HttpError(404, "Not Found")
        return state

    def pull_or_404(self, repo: RepoState, number: str | int) -> dict:
        pr = repo.pulls.get(int(number))
        if pr is None:
            raise HttpError(404, "Not Found")
        return pr

    def need_user(self, req: Request):
        if req.identity is None or req.identity.kind == "app":
            raise HttpError(401, "Requires authentication")
        return req.identity

    def user_record(self, login: str) -> dict:
        user = self.fixture.user(login)
        if user is not None:
            return user
        if login.endswith("[bot]"):
            app = next((a for a in self.fixture.apps if f"{a['slug']}[bot]" == login), None)
            return {"login": login, "id": int(app["id"]) * 1000 if app else 1, "type": "Bot"}
        return {"login": login, "id": abs(hash(login)) % 10_000_000, "type": "User"}

    def user(self, login: str) -> dict:
        return shapes.user_json(self.urls, self.user_record(login))

    def repo_obj(self, repo: RepoState) -> dict:
        return shapes.repo_json(self.urls, repo, self.user_record(repo.owner))

    # ------------------------------------------------------------------ lists
    def paginate(self, req: Request, items: list) -> Response:
        try:
            per_page = min(max(int(req.query.get("per_page", 30)), 1), 100)
            page = max(int(req.query.get("page", 1)), 1)
        except ValueError as exc:
            raise HttpError(422, "Invalid pagination parameters") from exc
        last = max((len(items) + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        links = []

        def link(p: int, rel: str) -> str:
            q = dict(req.query, page=str(p), per_page=str(per_page))
            return f'<{self.standin.api_url}{req.path}?{urlencode(q)}>; rel="{rel}"'

        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(1, "first"), link(page - 1, "prev")]
        headers = {"Link": ", ".join(links)} if links else {}
        return Response(body=chunk, headers=headers)

    @staticmethod
    def sort(items: list[dict], req: Request, default_direction: str = "asc", key: str = "created_at") -> list[dict]:
        field_name = "updated_at" if req.query.get("sort", "created") == "updated" else key
        out = sorted(items, key=lambda c: (c.get(field_name) or c["created_at"], c["id"]))
        return out[::-1] if req.query.get("direction", default_direction) == "desc" else out

    @staticmethod
    def since(items: list[dict], req: Request) -> list[dict]:
        since = req.query.get("since")
        if not since:
            return items
        try:
            cutoff = parse_iso(since)
        except ValueError as exc:
            raise HttpError(422, f"Invalid since: {since}") from exc
        return [c for c in items if parse_iso(c.get("updated_at") or c["created_at"]) >= cutoff]


def int_or_404(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise HttpError(404, "Not Found") from None
