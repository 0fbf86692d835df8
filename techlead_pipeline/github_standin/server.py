"""A local GitHub stand-in: a real HTTP server on loopback that speaks GitHub's REST v3 shapes
(under /api/v3, like GitHub Enterprise) and git's smart HTTP protocol, from a fixture folder.

The real clients (PyGithub, git) talk to it unmodified. Tests switch faults on and read back
what was posted and which requests were made.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import socket
import struct
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt

from ..gitcmd import BlobReader, GitError, git_env, git_text
from . import shapes
from .faults import SECONDARY_LIMIT_MESSAGE, FaultPlan, FaultRule
from .fixture import FixtureState, RepoState, load_fixture
from .pull_diffs import hunk_up_to, pull_diff

DOCS = "https://docs.github.com/rest"
CORE_LIMIT = 5000
SEARCH_LIMIT = 30
MAX_CONTENT_BYTES = 1_000_000
CONTENT_PER_MINUTE = 80  # GitHub's secondary limit on content-creating requests


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class HttpError(Exception):
    def __init__(self, status: int, message: str, errors: list | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Any
    body: bytes
    identity: "Identity | None" = None

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


@dataclass
class Identity:
    login: str
    key: str  # rate-limit bucket; a digest, never the token itself
    kind: str  # "user", "installation", "app"
    repos: set[str] | None = None  # installation tokens: lower-case repos they may touch
    app: dict | None = None


class RateLimiter:
    def __init__(self, core_limit: int = CORE_LIMIT, search_limit: int = SEARCH_LIMIT):
        self.limits = {"core": (core_limit, 3600), "search": (search_limit, 60)}
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

    def consume(self, key: str, resource: str) -> dict:
        with self._lock:
            b = self._bucket(key, resource)
            if b["used"] >= b["limit"]:
                raise HttpError(
                    403,
                    f"API rate limit exceeded for {key[:8]}.",
                    headers=self._headers(b, resource),
                )
            b["used"] += 1
            return self._headers(b, resource)

    def check(self, key: str, resource: str) -> None:
        """Refuses the request up front when the bucket is empty (before any side effect)."""
        with self._lock:
            b = self._bucket(key, resource)
            if b["used"] >= b["limit"]:
                raise HttpError(403, f"API rate limit exceeded for {key[:8]}.", headers=self._headers(b, resource))

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


Handler = Callable[..., Response]


class GitHubStandin:
    """Owns the fixture state, the fault plan, the request log and the HTTP server."""

    def __init__(
        self,
        fixture_dir: Path | str,
        host: str = "127.0.0.1",
        port: int = 0,
        core_limit: int = CORE_LIMIT,
        content_per_minute: int = CONTENT_PER_MINUTE,
    ):
        self.fixture: FixtureState = load_fixture(fixture_dir)
        self.faults = FaultPlan()
        self.rate = RateLimiter(core_limit=core_limit)
        self.content_per_minute = content_per_minute
        self._writes: dict[str, list[float]] = {}
        self.requests: list[dict] = []
        self.posted: list[dict] = []
        self.installation_tokens: dict[str, dict] = {}
        self._log_lock = threading.Lock()
        self._host = host
        self._port = port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._routes: list[tuple[str, re.Pattern, Handler]] = []
        self._install_routes()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "GitHubStandin":
        standin = self

        class _Handler(_RequestHandler):
            owner = standin

        self._httpd = ThreadingHTTPServer((self._host, self._port), _Handler)
        self._httpd.daemon_threads = True
        self._port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="github-standin", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        if self._httpd is None:
            self.start()
        assert self._thread
        try:
            while self._thread.is_alive():
                self._thread.join(1)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "GitHubStandin":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v3"

    @property
    def urls(self) -> shapes.Urls:
        return shapes.Urls(web=self.url, api=self.api_url)

    # ------------------------------------------------------------------ test helpers
    def api_calls(self, since_index: int = 0) -> list[dict]:
        with self._log_lock:
            return [r for r in self.requests[since_index:] if r["kind"] == "api"]

    def posted_reviews(self, repo: str | None = None) -> list[dict]:
        return [p for p in self.posted if p["kind"] == "review" and (repo is None or p["repo"] == repo)]

    def posted_issue_comments(self, repo: str | None = None) -> list[dict]:
        return [p for p in self.posted if p["kind"] == "issue_comment" and (repo is None or p["repo"] == repo)]

    def add_issue_comment(
        self, repo: str, number: int, login: str, body: str, created_at: datetime | None = None
    ) -> dict:
        """Adds a comment as if `login` had written it on GitHub (how tests and the demo mention the bot)."""
        state = self._repo_or_404(*repo.split("/", 1))
        when = iso(created_at or utcnow())
        record = {
            "id": self.fixture.new_id(),
            "issue_number": number,
            "user": login,
            "body": body,
            "created_at": when,
            "updated_at": when,
        }
        with self.fixture.lock:
            state.issue_comments.append(record)
        return record

    def token_for(self, login: str) -> str:
        for token, owner in self.fixture.tokens.items():
            if owner.lower() == login.lower():
                return token
        raise KeyError(f"fixture has no token for {login}")

    def check_content_creation(self, ident: Identity | None) -> None:
        """GitHub's secondary limit: too many content-creating requests in a minute get a 403."""
        key = ident.key if ident else "anon"
        with self._log_lock:
            now = time.time()
            recent = [t for t in self._writes.get(key, []) if now - t < 60]
            if len(recent) >= self.content_per_minute:
                self._writes[key] = recent
                raise HttpError(
                    403, SECONDARY_LIMIT_MESSAGE, headers={"Retry-After": str(int(60 - (now - recent[0])) + 1)}
                )
            self._writes[key] = recent + [now]

    def writes_in_any_minute(self) -> int:
        """The most content-creating requests any identity made within one 60-second window."""
        worst = 0
        with self._log_lock:
            stamps = sorted(
                r["t"]
                for r in self.requests
                if r["kind"] == "api"
                and r["method"] == "POST"
                and r["status"] in (200, 201)
                and "/app/installations/" not in r["path"]
            )
        for i, t in enumerate(stamps):
            worst = max(worst, sum(1 for u in stamps[i:] if u - t < 60))
        return worst

    # ------------------------------------------------------------------ routing
    def _install_routes(self) -> None:
        r = self._route
        r("GET", r"/rate_limit", self.h_rate_limit)
        r("GET", r"/user", self.h_authenticated_user)
        r("GET", r"/users/(?P<login>[^/]+)", self.h_user)
        r("GET", r"/app", self.h_app)
        r("POST", r"/app/installations/(?P<iid>\d+)/access_tokens", self.h_installation_token)
        r("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/installation", self.h_repo_installation)
        r("GET", r"/search/issues", self.h_search_issues)
        r("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)", self.h_repo)
        r("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls", self.h_pulls)
        r("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/comments", self.h_repo_review_comments)
        r("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/(?P<n>\d+)", self.h_pull)
        r("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/(?P<n>\d+)/files", self.h_pull_files)
        r("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/(?P<n>\d+)/comments", self.h_pull_review_comments)
        r("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/(?P<n>\d+)/reviews", self.h_pull_reviews)
        r("POST", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/(?P<n>\d+)/reviews", self.h_create_review)
        r("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/contents/(?P<path>.+)", self.h_contents)
        r("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/commits/(?P<ref>[^/]+)", self.h_commit)
        r("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/issues/comments", self.h_repo_issue_comments)
        r("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/issues/(?P<n>\d+)", self.h_issue)
        r("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/issues/(?P<n>\d+)/comments", self.h_issue_comments)
        r("POST", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/issues/(?P<n>\d+)/comments", self.h_create_issue_comment)
        r("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/collaborators/(?P<login>[^/]+)/permission", self.h_permission)

    def _route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(f"^{pattern}/?$"), handler))

    def dispatch(self, req: Request) -> Response:
        for method, regex, handler in self._routes:
            m = regex.match(req.path)
            if m and method == req.method:
                return handler(req, **m.groupdict())
        raise HttpError(404, "Not Found")

    # ------------------------------------------------------------------ auth
    def identify(self, headers) -> Identity | None:
        auth = headers.get("Authorization") or ""
        if not auth:
            return None
        scheme, _, value = auth.partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            try:
                _user, _, value = base64.b64decode(value).decode().partition(":")
            except Exception as exc:
                raise HttpError(401, "Bad credentials") from exc
            scheme = "token"
        value = value.strip()
        digest = hashlib.sha256(value.encode()).hexdigest()[:16]
        if value in self.fixture.tokens:
            return Identity(login=self.fixture.tokens[value], key=f"user:{digest}", kind="user")
        inst = self.installation_tokens.get(value)
        if inst:
            if time.time() > inst["expires"]:
                raise HttpError(401, "Bad credentials")
            return Identity(
                login=f"{inst['app']['slug']}[bot]",
                key=f"inst:{digest}",
                kind="installation",
                repos=inst["repos"],
                app=inst["app"],
            )
        if scheme == "bearer" and value.count(".") == 2:
            return self._identify_app_jwt(value)
        raise HttpError(401, "Bad credentials")

    def _identify_app_jwt(self, token: str) -> Identity:
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
            app = next(a for a in self.fixture.apps if str(a["id"]) == str(claims.get("iss")))
            jwt.decode(token, app["public_key_pem"], algorithms=["RS256"], leeway=60)
        except (StopIteration, jwt.PyJWTError) as exc:
            raise HttpError(401, "A JSON web token could not be decoded") from exc
        return Identity(login=app["slug"], key=f"app:{app['id']}", kind="app", app=app)

    def _need_user(self, req: Request) -> Identity:
        if req.identity is None or req.identity.kind == "app":
            raise HttpError(401, "Requires authentication")
        return req.identity

    def _repo_or_404(self, owner: str, name: str, req: Request | None = None) -> RepoState:
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

    def _user_record(self, login: str) -> dict:
        user = self.fixture.user(login)
        if user is not None:
            return user
        if login.endswith("[bot]"):
            app = next((a for a in self.fixture.apps if f"{a['slug']}[bot]" == login), None)
            return {"login": login, "id": int(app["id"]) * 1000 if app else 1, "type": "Bot"}
        return {"login": login, "id": abs(hash(login)) % 10_000_000, "type": "User"}

    def _user(self, login: str) -> dict:
        return shapes.user_json(self.urls, self._user_record(login))

    # ------------------------------------------------------------------ pagination
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
            return f'<{self.api_url}{req.path}?{urlencode(q)}>; rel="{rel}"'

        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(1, "first"), link(page - 1, "prev")]
        headers = {"Link": ", ".join(links)} if links else {}
        return Response(body=chunk, headers=headers)

    @staticmethod
    def _sorted(items: list[dict], req: Request, default_direction: str = "asc", key: str = "created_at") -> list[dict]:
        sort = req.query.get("sort", "created")
        field_name = "updated_at" if sort == "updated" else key
        direction = req.query.get("direction", default_direction)
        out = sorted(items, key=lambda c: (c.get(field_name) or c["created_at"], c["id"]))
        return out[::-1] if direction == "desc" else out

    @staticmethod
    def _since(items: list[dict], req: Request) -> list[dict]:
        since = req.query.get("since")
        if not since:
            return items
        try:
            cutoff = parse_iso(since)
        except ValueError as exc:
            raise HttpError(422, f"Invalid since: {since}") from exc
        return [c for c in items if parse_iso(c.get("updated_at") or c["created_at"]) >= cutoff]

    # ------------------------------------------------------------------ handlers: meta
    def h_rate_limit(self, req: Request) -> Response:
        key = req.identity.key if req.identity else "anon"
        core = self.rate.snapshot(key, "core")
        search = self.rate.snapshot(key, "search")
        return Response(body={"resources": {"core": core, "search": search}, "rate": core}, counted=False)

    def h_authenticated_user(self, req: Request) -> Response:
        ident = self._need_user(req)
        return Response(body=self._user(ident.login))

    def h_user(self, req: Request, login: str) -> Response:
        user = self.fixture.user(login)
        if user is None:
            raise HttpError(404, "Not Found")
        return Response(body=shapes.user_json(self.urls, user))

    def h_app(self, req: Request) -> Response:
        if not req.identity or req.identity.kind != "app":
            raise HttpError(401, "A JSON web token could not be decoded")
        app = req.identity.app
        return Response(
            body={
                "id": app["id"],
                "slug": app["slug"],
                "name": app.get("name", app["slug"]),
                "owner": self._user(app.get("owner", "acme-labs")),
            }
        )

    def _installation_json(self, app: dict, inst: dict) -> dict:
        return {
            "id": inst["id"],
            "app_id": app["id"],
            "target_type": "Organization",
            "account": self._user(inst.get("account", app.get("owner", "acme-labs"))),
            "access_tokens_url": f"{self.api_url}/app/installations/{inst['id']}/access_tokens",
            "repositories_url": f"{self.api_url}/installation/repositories",
            "permissions": {"pull_requests": "write", "issues": "write", "contents": "read"},
            "repository_selection": "selected",
        }

    def h_repo_installation(self, req: Request, o: str, r: str) -> Response:
        if not req.identity or req.identity.kind != "app":
            raise HttpError(401, "A JSON web token could not be decoded")
        app = req.identity.app
        full = f"{o}/{r}".lower()
        for inst in app.get("installations", []):
            if full in {x.lower() for x in inst["repos"]}:
                return Response(body=self._installation_json(app, inst))
        raise HttpError(404, "Not Found")

    def h_installation_token(self, req: Request, iid: str) -> Response:
        if not req.identity or req.identity.kind != "app":
            raise HttpError(401, "A JSON web token could not be decoded")
        app = req.identity.app
        inst = next((i for i in app.get("installations", []) if str(i["id"]) == iid), None)
        if inst is None:
            raise HttpError(404, "Not Found")
        token = "ghs_" + secrets.token_urlsafe(27)
        expires = time.time() + 3600
        self.installation_tokens[token] = {"app": app, "repos": {x.lower() for x in inst["repos"]}, "expires": expires}
        return Response(
            status=201,
            body={
                "token": token,
                "expires_at": iso(datetime.fromtimestamp(expires, timezone.utc)),
                "permissions": {"pull_requests": "write", "issues": "write", "contents": "read"},
                "repository_selection": "selected",
            },
        )

    def h_search_issues(self, req: Request) -> Response:
        q = req.query.get("q", "")
        terms = q.split()
        repo_name = author = state = None
        want_pr = None
        for t in terms:
            k, _, v = t.partition(":")
            if k == "repo":
                repo_name = v
            elif k == "author":
                author = v.lower()
            elif k in ("is", "type") and v in ("pr", "issue"):
                want_pr = v == "pr"
            elif k in ("is", "state") and v in ("open", "closed"):
                state = v
        if not repo_name or "/" not in repo_name:
            raise HttpError(422, "Validation Failed", errors=[{"message": "search requires repo:OWNER/NAME here"}])
        repo = self._repo_or_404(*repo_name.split("/", 1), req)
        items = []
        for pr in sorted(repo.pulls.values(), key=lambda p: p["number"], reverse=True):
            if want_pr is False:
                continue
            if author and pr["user"].lower() != author:
                continue
            if state and pr.get("state", "open") != state:
                continue
            items.append(self._issue_json(repo, pr))
        page = self.paginate(req, items)
        page.body = {"total_count": len(items), "incomplete_results": False, "items": page.body}
        return page

    # ------------------------------------------------------------------ handlers: repo & pulls
    def _repo_obj(self, repo: RepoState) -> dict:
        return shapes.repo_json(self.urls, repo, self._user_record(repo.owner))

    def h_repo(self, req: Request, o: str, r: str) -> Response:
        return Response(body=self._repo_obj(self._repo_or_404(o, r, req)))

    def _pull_or_404(self, repo: RepoState, n: str | int) -> dict:
        pr = repo.pulls.get(int(n))
        if pr is None:
            raise HttpError(404, "Not Found")
        return pr

    def _pull_obj(self, repo: RepoState, pr: dict, with_stats: bool = False) -> dict:
        stats = None
        if with_stats:
            diff = pull_diff(repo.git_dir, pr["base_sha"], pr["head_sha"])
            stats = {
                "additions": sum(f["additions"] for f in diff.files),
                "deletions": sum(f["deletions"] for f in diff.files),
                "changed_files": len(diff.files),
            }
        return shapes.pull_json(self.urls, repo, pr, self._user_record(pr["user"]), self._repo_obj(repo), stats)

    def _issue_json(self, repo: RepoState, pr: dict) -> dict:
        full = repo.full_name
        n = pr["number"]
        return {
            "url": f"{self.urls.repo_api(full)}/issues/{n}",
            "repository_url": self.urls.repo_api(full),
            "html_url": f"{self.urls.repo_web(full)}/pull/{n}",
            "id": 200_000 + n,
            "node_id": f"I_{n}",
            "number": n,
            "title": pr.get("title", ""),
            "body": pr.get("body", ""),
            "user": self._user(pr["user"]),
            "state": pr.get("state", "open"),
            "created_at": pr.get("created_at"),
            "updated_at": pr.get("updated_at", pr.get("created_at")),
            "closed_at": pr.get("closed_at"),
            "comments": 0,
            "labels": [],
            "assignees": [],
            "pull_request": {
                "url": f"{self.urls.repo_api(full)}/pulls/{n}",
                "html_url": f"{self.urls.repo_web(full)}/pull/{n}",
            },
        }

    def h_pulls(self, req: Request, o: str, r: str) -> Response:
        repo = self._repo_or_404(o, r, req)
        state = req.query.get("state", "open")
        pulls = [p for p in repo.pulls.values() if state == "all" or p.get("state", "open") == state]
        sort = req.query.get("sort", "created")
        key = "updated_at" if sort == "updated" else "created_at"
        pulls.sort(
            key=lambda p: (p.get(key) or p["created_at"], p["number"]),
            reverse=req.query.get("direction", "desc") == "desc",
        )
        return self.paginate(req, [self._pull_obj(repo, p) for p in pulls])

    def h_pull(self, req: Request, o: str, r: str, n: str) -> Response:
        repo = self._repo_or_404(o, r, req)
        pr = self._pull_or_404(repo, n)
        accept = req.headers.get("Accept", "")
        if "diff" in accept:
            diff = pull_diff(repo.git_dir, pr["base_sha"], pr["head_sha"])
            return Response(body=diff.text.encode(), content_type="text/plain; charset=utf-8")
        return Response(body=self._pull_obj(repo, pr, with_stats=True))

    def h_pull_files(self, req: Request, o: str, r: str, n: str) -> Response:
        repo = self._repo_or_404(o, r, req)
        pr = self._pull_or_404(repo, n)
        diff = pull_diff(repo.git_dir, pr["base_sha"], pr["head_sha"])
        files = [shapes.pull_file_json(self.urls, repo, f, pr["head_sha"]) for f in diff.files[:3000]]
        return self.paginate(req, files)

    def _review_comment_objs(self, repo: RepoState, comments: list[dict]) -> list[dict]:
        return [shapes.review_comment_json(self.urls, repo, c, self._user_record(c["user"])) for c in comments]

    def h_repo_review_comments(self, req: Request, o: str, r: str) -> Response:
        repo = self._repo_or_404(o, r, req)
        with self.fixture.lock:
            comments = list(repo.review_comments)
        comments = self._sorted(self._since(comments, req), req)
        return self.paginate(req, self._review_comment_objs(repo, comments))

    def h_pull_review_comments(self, req: Request, o: str, r: str, n: str) -> Response:
        repo = self._repo_or_404(o, r, req)
        self._pull_or_404(repo, n)
        with self.fixture.lock:
            comments = [c for c in repo.review_comments if c["pull_number"] == int(n)]
        comments = self._sorted(self._since(comments, req), req)
        return self.paginate(req, self._review_comment_objs(repo, comments))

    def h_pull_reviews(self, req: Request, o: str, r: str, n: str) -> Response:
        repo = self._repo_or_404(o, r, req)
        self._pull_or_404(repo, n)
        with self.fixture.lock:
            reviews = sorted((x for x in repo.reviews if x["pull_number"] == int(n)), key=lambda x: x["id"])
        return self.paginate(
            req, [shapes.review_json(self.urls, repo, x, self._user_record(x["user"])) for x in reviews]
        )

    def h_create_review(self, req: Request, o: str, r: str, n: str) -> Response:
        ident = self._need_user(req)
        repo = self._repo_or_404(o, r, req)
        pr = self._pull_or_404(repo, n)
        payload = req.json()
        event = payload.get("event") or "PENDING"
        if event not in ("APPROVE", "REQUEST_CHANGES", "COMMENT", "PENDING"):
            raise HttpError(422, "Unprocessable Entity", errors=[f"Invalid event {event}"])
        commit_id = payload.get("commit_id") or pr["head_sha"]
        if not re.fullmatch(r"[0-9a-f]{40}", commit_id) or not _commit_exists(repo.git_dir, commit_id):
            raise HttpError(422, "Unprocessable Entity", errors=["commit_id is not part of the pull request"])
        diff = pull_diff(repo.git_dir, pr["base_sha"], commit_id)
        comments = payload.get("comments") or []
        errors = []
        for i, c in enumerate(comments):
            problem = _anchor_problem(diff, c)
            if problem is None and self.faults.rejected_comment(req.path, c.get("body", "")):
                problem = "Pull request review thread line must be part of the diff"
            if problem:
                errors.append(f"comments[{i}]: {problem}")
        if errors:
            raise HttpError(422, "Unprocessable Entity", errors=errors)
        now = iso(utcnow())
        state = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}.get(
            event, "PENDING"
        )
        review = {
            "id": self.fixture.new_id(),
            "pull_number": int(n),
            "user": ident.login,
            "body": payload.get("body", ""),
            "state": state,
            "commit_id": commit_id,
            "submitted_at": now,
        }
        stored_comments = []
        for c in comments:
            side = c.get("side", "RIGHT")
            stored_comments.append(
                {
                    "id": self.fixture.new_id(),
                    "pull_number": int(n),
                    "user": ident.login,
                    "body": c.get("body", ""),
                    "path": c["path"],
                    "commit_id": commit_id,
                    "original_commit_id": commit_id,
                    "diff_hunk": hunk_up_to(diff.text, c["path"], c.get("line"), side),
                    "line": c.get("line"),
                    "original_line": c.get("line"),
                    "side": side,
                    "start_line": c.get("start_line"),
                    "start_side": c.get("start_side"),
                    "original_start_line": c.get("start_line"),
                    "pull_request_review_id": review["id"],
                    "created_at": now,
                    "updated_at": now,
                }
            )
        with self.fixture.lock:
            repo.reviews.append(review)
            repo.review_comments.extend(stored_comments)
            self.posted.append(
                {
                    "kind": "review",
                    "repo": repo.full_name,
                    "number": int(n),
                    "user": ident.login,
                    "review": review,
                    "comments": stored_comments,
                    "payload": payload,
                }
            )
        return Response(body=shapes.review_json(self.urls, repo, review, self._user_record(ident.login)))

    def h_contents(self, req: Request, o: str, r: str, path: str) -> Response:
        repo = self._repo_or_404(o, r, req)
        ref = req.query.get("ref") or repo.meta.get("default_branch", "main")
        with BlobReader(repo.git_dir) as reader:
            found = reader.read(ref, path)
        if found is None:
            raise HttpError(404, "Not Found")
        kind, data = found
        if kind == "tree":
            raise HttpError(422, "This stand-in serves files only from /contents")
        blob_sha = git_text(["rev-parse", f"{ref}:{path}"], repo.git_dir).strip()
        body = shapes.content_json(
            self.urls, repo, path, ref, blob_sha, data if len(data) <= MAX_CONTENT_BYTES else b""
        )
        if len(data) > MAX_CONTENT_BYTES:  # GitHub: files over 1 MB come without content
            body.update({"content": "", "encoding": "none", "size": len(data)})
        return Response(body=body)

    def h_commit(self, req: Request, o: str, r: str, ref: str) -> Response:
        repo = self._repo_or_404(o, r, req)
        fmt = "%H%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B"
        try:
            raw = git_text(["log", "-1", f"--format={fmt}", f"{ref}^{{commit}}", "--"], repo.git_dir)
        except GitError:
            raise HttpError(422, f"No commit found for SHA: {ref}") from None
        sha, parents, an, ae, ad, cn, ce, cd, message = raw.split("\x00", 8)
        full = repo.full_name
        return Response(
            body={
                "sha": sha,
                "node_id": f"C_{sha}",
                "url": f"{self.urls.repo_api(full)}/commits/{sha}",
                "html_url": f"{self.urls.repo_web(full)}/commit/{sha}",
                "commit": {
                    "message": message.strip(),
                    "author": {"name": an, "email": ae, "date": ad},
                    "committer": {"name": cn, "email": ce, "date": cd},
                    "url": f"{self.urls.repo_api(full)}/git/commits/{sha}",
                },
                "parents": [{"sha": p, "url": f"{self.urls.repo_api(full)}/commits/{p}"} for p in parents.split()],
                "author": None,
                "committer": None,
            }
        )

    # ------------------------------------------------------------------ handlers: issues
    def _issue_comment_objs(self, repo: RepoState, comments: list[dict]) -> list[dict]:
        return [shapes.issue_comment_json(self.urls, repo, c, self._user_record(c["user"])) for c in comments]

    def h_issue(self, req: Request, o: str, r: str, n: str) -> Response:
        repo = self._repo_or_404(o, r, req)
        return Response(body=self._issue_json(repo, self._pull_or_404(repo, n)))

    def h_repo_issue_comments(self, req: Request, o: str, r: str) -> Response:
        repo = self._repo_or_404(o, r, req)
        with self.fixture.lock:
            comments = list(repo.issue_comments)
        comments = self._sorted(self._since(comments, req), req)
        return self.paginate(req, self._issue_comment_objs(repo, comments))

    def h_issue_comments(self, req: Request, o: str, r: str, n: str) -> Response:
        repo = self._repo_or_404(o, r, req)
        self._pull_or_404(repo, n)
        with self.fixture.lock:
            comments = [c for c in repo.issue_comments if c["issue_number"] == int(n)]
        comments = self._sorted(self._since(comments, req), req)
        return self.paginate(req, self._issue_comment_objs(repo, comments))

    def h_create_issue_comment(self, req: Request, o: str, r: str, n: str) -> Response:
        ident = self._need_user(req)
        repo = self._repo_or_404(o, r, req)
        self._pull_or_404(repo, n)
        body = req.json().get("body")
        if not isinstance(body, str) or not body.strip():
            raise HttpError(
                422,
                "Validation Failed",
                errors=[{"resource": "IssueComment", "code": "missing_field", "field": "body"}],
            )
        now = iso(utcnow())
        record = {
            "id": self.fixture.new_id(),
            "issue_number": int(n),
            "user": ident.login,
            "body": body,
            "created_at": now,
            "updated_at": now,
        }
        with self.fixture.lock:
            repo.issue_comments.append(record)
            self.posted.append(
                {
                    "kind": "issue_comment",
                    "repo": repo.full_name,
                    "number": int(n),
                    "user": ident.login,
                    "comment": record,
                }
            )
        return Response(status=201, body=self._issue_comment_objs(repo, [record])[0])

    def h_permission(self, req: Request, o: str, r: str, login: str) -> Response:
        repo = self._repo_or_404(o, r, req)
        user = self.fixture.user(login)
        if user is None:
            raise HttpError(404, "Not Found")
        permission = repo.collaborators.get(login.lower())
        if permission is None:
            permission = "none" if repo.meta.get("private") else "read"
            role = permission
        else:
            role = permission
            permission = {"maintain": "write", "triage": "read"}.get(permission, permission)
        return Response(body={"permission": permission, "role_name": role, "user": shapes.user_json(self.urls, user)})

    # ------------------------------------------------------------------ git smart HTTP
    def git_http(
        self, handler: "_RequestHandler", owner: str, name: str, rest: str, query: str, body: bytes
    ) -> tuple[int, dict, bytes]:
        repo = self.fixture.repo(owner, name)
        if repo is None:
            return 404, {"Content-Type": "text/plain"}, b"Repository not found.\n"
        ident = None
        try:
            ident = self.identify(handler.headers)
        except HttpError:
            return 401, {"WWW-Authenticate": 'Basic realm="GitHub"', "Content-Type": "text/plain"}, b"Bad credentials\n"
        if repo.meta.get("private") and (
            ident is None
            or ident.kind == "app"
            or (ident.kind == "installation" and repo.full_name.lower() not in (ident.repos or set()))
        ):
            return (
                401,
                {"WWW-Authenticate": 'Basic realm="GitHub"', "Content-Type": "text/plain"},
                b"Authentication required\n",
            )
        env = git_env(
            {
                "GIT_PROJECT_ROOT": str(repo.git_dir.parent),
                "GIT_HTTP_EXPORT_ALL": "1",
                "PATH_INFO": f"/{repo.git_dir.name}/{rest}",
                "QUERY_STRING": query,
                "REQUEST_METHOD": handler.command,
                "CONTENT_TYPE": handler.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "GIT_PROTOCOL": handler.headers.get("Git-Protocol", ""),
                "HTTP_CONTENT_ENCODING": handler.headers.get("Content-Encoding", ""),
                "REMOTE_ADDR": "127.0.0.1",
            },
            config={
                "uploadpack.allowFilter": "true",
                "uploadpack.allowAnySHA1InWant": "true",
                "http.uploadpack": "true",
                "http.receivepack": "false",
            },
        )
        proc = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, timeout=600)
        raw = proc.stdout
        head, _, payload = raw.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = raw.partition(b"\n\n")
        status = 200
        headers: dict[str, str] = {}
        for line in head.decode("latin-1").splitlines():
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.strip().split()[0])
            elif key:
                headers[key.strip()] = value.strip()
        return status, headers, payload


def _commit_exists(git_dir: Path, sha: str) -> bool:
    try:
        git_text(["cat-file", "-e", f"{sha}^{{commit}}"], git_dir)
        return True
    except GitError:
        return False


def _anchor_problem(diff, comment: dict) -> str | None:
    """Why GitHub would refuse this review comment's position, or None when it is valid."""
    path = comment.get("path")
    if not path or not comment.get("body"):
        return "path and body are required"
    anchors = diff.anchors.get(path)
    if anchors is None:
        return f"Path could not be resolved: {path}"
    if comment.get("subject_type") == "file":
        return None
    if "line" not in comment or comment.get("line") is None:
        if comment.get("position") is not None:
            return None
        return "line is required"
    side = comment.get("side", "RIGHT")
    if side not in ("LEFT", "RIGHT"):
        return f"Invalid side {side}"
    line = comment["line"]
    if not isinstance(line, int) or line not in anchors[side]:
        return "Pull request review thread line must be part of the diff"
    start = comment.get("start_line")
    if start is not None:
        start_side = comment.get("start_side", side)
        if not isinstance(start, int) or start >= line or start not in anchors.get(start_side, set()):
            return "Pull request review thread start_line must be part of the same hunk and before line"
    return None


class _RequestHandler(BaseHTTPRequestHandler):
    owner: GitHubStandin
    protocol_version = "HTTP/1.1"
    server_version = "GitHubStandin/1.0"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - BaseHTTPRequestHandler API
        pass  # requests are recorded in owner.requests instead (never with credentials)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _record(self, kind: str, path: str, status: int, counted: bool, login: str | None) -> None:
        with self.owner._log_lock:
            self.owner.requests.append(
                {
                    "t": time.time(),
                    "method": self.command,
                    "path": path,
                    "status": status,
                    "kind": kind,
                    "counted": counted,
                    "login": login,
                }
            )

    def _handle(self) -> None:
        split = urlsplit(self.path)
        path = split.path
        body = self._read_body()
        if path.startswith("/_standin/"):
            self._control(path, body)
            return
        full_path = self.path
        latency = self.owner.faults.latency_ms(self.command, full_path)
        if latency:
            time.sleep(latency / 1000.0)
        git = re.match(r"^/([^/]+)/([^/]+?)\.git/(.*)$", path)
        kind = "git" if git else "api"
        fault = self.owner.faults.next_fault(self.command, full_path)
        lost_response = fault is not None and fault.kind == "lost_response"
        if fault is not None and not lost_response and self._apply_fault(fault, kind, path):
            return
        if git:
            status, headers, payload = self.owner.git_http(
                self, git.group(1), git.group(2), git.group(3), split.query, body
            )
            self._record("git", path, status, False, None)
            self._send(status, headers, payload)
            return
        if not path.startswith("/api/v3"):
            self._send_json(404, {"message": "Not Found", "documentation_url": DOCS})
            self._record("web", path, 404, False, None)
            return
        api_path = path[len("/api/v3") :] or "/"
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        req = Request(self.command, api_path, query, self.headers, body)
        resource = "search" if api_path.startswith("/search/") else "core"
        login = None
        try:
            req.identity = self.owner.identify(self.headers)
            login = req.identity.login if req.identity else None
            key = req.identity.key if req.identity else "anon"
            self.owner.rate.check(key, resource)
            if self.command == "POST" and not api_path.startswith("/app/"):
                self.owner.check_content_creation(req.identity)
            resp = self.owner.dispatch(req)
            payload, ctype = self._encode(resp)
            etag = '"' + hashlib.sha256(payload).hexdigest()[:40] + '"'
            if self.command == "GET" and resp.status == 200 and etag in (self.headers.get("If-None-Match") or ""):
                # Conditional hit: GitHub answers 304 and does not charge the rate limit.
                headers = dict(self.owner.rate.peek(key, resource), ETag=etag)
                self._record("api", api_path, 304, False, login)
                self._send(304, headers, b"")
                return
            if lost_response:  # GitHub did the work; a proxy between us lost the answer
                self._record("api", api_path, 502, False, login)
                self._send(502, {"Content-Type": "text/html"}, b"<html><body><h1>502 Bad Gateway</h1></body></html>")
                return
            rate_headers = (
                self.owner.rate.consume(key, resource) if resp.counted else self.owner.rate.peek(key, resource)
            )
            headers = {**rate_headers, **resp.headers, "Content-Type": ctype}
            if self.command == "GET":
                headers["ETag"] = etag
            self._record("api", api_path, resp.status, resp.counted, login)
            self._send(resp.status, headers, payload)
        except HttpError as err:
            body_json: dict[str, Any] = {"message": err.message, "documentation_url": DOCS}
            if err.errors:
                body_json["errors"] = err.errors
            if err.status == 422:
                body_json["status"] = "422"
            self._record("api", api_path, err.status, False, login)
            self._send_json(err.status, body_json, err.headers)

    @staticmethod
    def _encode(resp: Response) -> tuple[bytes, str]:
        if isinstance(resp.body, bytes):
            return resp.body, resp.content_type
        return json.dumps(resp.body).encode(), resp.content_type

    def _apply_fault(self, fault: FaultRule, kind: str, path: str) -> bool:
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = (
                str(int(fault.retry_after)) if float(fault.retry_after).is_integer() else str(fault.retry_after)
            )
        if fault.kind == "secondary_rate_limit":
            self._record(kind, path, 403, False, None)
            self._send_json(
                403, {"message": fault.message or SECONDARY_LIMIT_MESSAGE, "documentation_url": DOCS}, headers
            )
            return True
        if fault.kind == "too_many_requests":
            self._record(kind, path, 429, False, None)
            self._send_json(429, {"message": fault.message or "Too Many Requests", "documentation_url": DOCS}, headers)
            return True
        if fault.kind == "bad_gateway":
            self._record(kind, path, 502, False, None)
            self._send(
                502, {"Content-Type": "text/html", **headers}, b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            )
            return True
        if fault.kind == "status":
            status = fault.status or 500
            self._record(kind, path, status, False, None)
            self._send_json(status, {"message": fault.message or "Server Error", "documentation_url": DOCS}, headers)
            return True
        if fault.kind == "reset":
            self._record(kind, path, 0, False, None)
            self._reset_connection()
            return True
        if fault.kind == "truncate":
            # Start a normal-looking response, then drop the connection mid-body.
            self._record(kind, path, 0, False, None)
            payload = b'[{"id": 1, "body": "' + b"x" * 4096
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload) * 4))
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
            self._reset_connection()
            return True
        return False

    def _reset_connection(self) -> None:
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def _send_json(self, status: int, body: Any, headers: dict | None = None) -> None:
        self._send(
            status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, json.dumps(body).encode()
        )

    def _send(self, status: int, headers: dict, payload: bytes) -> None:
        try:
            self.send_response(status)
            headers = dict(headers)
            headers.setdefault("X-GitHub-Request-Id", secrets.token_hex(8).upper())
            for k, v in headers.items():
                if k.lower() in ("content-length", "connection"):
                    continue
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if payload and self.command != "HEAD":
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _control(self, path: str, body: bytes) -> None:
        owner = self.owner
        if path == "/_standin/posted" and self.command == "GET":
            self._send_json(200, owner.posted)
        elif path == "/_standin/requests" and self.command == "GET":
            self._send_json(200, owner.requests)
        elif path == "/_standin/faults" and self.command == "POST":
            try:
                rules = json.loads(body or b"{}").get("rules", [])
                added = [owner.faults.add(**r).to_json() for r in rules]
            except (TypeError, ValueError) as exc:
                self._send_json(400, {"message": str(exc)})
                return
            self._send_json(201, added)
        elif path == "/_standin/faults" and self.command == "DELETE":
            owner.faults.clear()
            self._send_json(200, {"cleared": True})
        elif path == "/_standin/faults" and self.command == "GET":
            self._send_json(200, [r.to_json() for r in owner.faults.rules()])
        elif path == "/_standin/issue-comments" and self.command == "POST":
            data = json.loads(body or b"{}")
            try:
                record = owner.add_issue_comment(data["repo"], int(data["number"]), data["user"], data["body"])
            except (KeyError, HttpError) as exc:
                self._send_json(400, {"message": f"bad request: {exc}"})
                return
            self._send_json(201, record)
        else:
            self._send_json(404, {"message": "unknown stand-in control endpoint"})
