"""A local GitHub stand-in: a real HTTP server on loopback that speaks GitHub's REST v3 (under
/api/v3, like GitHub Enterprise) and git's smart HTTP protocol, from a fixture folder.

The real clients (PyGithub, git) talk to it unmodified. It is held to GitHub's own OpenAPI
description: it routes only documented operations, shapes every answer by the operation's schema
(optional nulls left out, as GitHub leaves them out) and, unless told not to, validates every
answer against it, keeping what does not conform in `contract_violations`. It logs every request
it receives (`requests`), including those a client makes behind its caller's back: counts of API
calls in tests and benchmarks come from here, never from the client.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import jwt

from . import shapes
from .activity import UserActivity
from .contract import schema as contract
from .faults import FaultPlan
from .fixture import FixtureState, load_fixture
from .hooks import HookSender
from .http_handler import RequestHandler
from .installations import AppInstallations
from .limits import CONTENT_PER_MINUTE, CORE_LIMIT, ContentCreationLimit, RateLimiter
from .protocol import HttpError, Identity, Request, Response
from .rooms.app import AppRoom
from .rooms.compare import CompareRoom
from .rooms.issues import IssuesRoom
from .rooms.meta import MetaRoom
from .rooms.pulls import PullsRoom
from .rooms.repos import ReposRoom
from .rooms.review_comments import ReviewCommentsRoom
from .rooms.reviews import ReviewsRoom

ROOMS = (MetaRoom, AppRoom, ReposRoom, PullsRoom, CompareRoom, ReviewCommentsRoom, ReviewsRoom, IssuesRoom)


class GitHubStandin(UserActivity, AppInstallations):
    """Owns the fixture state, the fault plan, the request log and the HTTP server. What users do
    (activity.py) and what the App's owners do (installations.py) are mixed in."""

    def __init__(
        self,
        fixture_dir: Path | str,
        host: str = "127.0.0.1",
        port: int = 0,
        core_limit: int = CORE_LIMIT,
        content_per_minute: int = CONTENT_PER_MINUTE,
        validate_contract: bool = True,
        core_window_s: int = 3600,
    ):
        self.fixture: FixtureState = load_fixture(fixture_dir)
        self.faults = FaultPlan()
        self.rate = RateLimiter(core_limit=core_limit, core_window_s=core_window_s)
        self.content_limit = ContentCreationLimit(content_per_minute)
        self.validate_contract = validate_contract
        self.contract_violations: list[str] = []
        self.requests: list[dict] = []
        self.posted: list[dict] = []
        self.installation_tokens: dict[str, dict] = {}
        self.tokens_minted = 0
        self.git_bytes_sent = 0  # pack data served over smart HTTP (what fetches cost on the wire)
        self.log_lock = threading.Lock()
        self._host = host
        self._port = port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.handlers = {}
        self.rooms = {room: room(self) for room in ROOMS}
        for room in self.rooms.values():
            self.handlers.update(room.handlers())
        self.hooks = HookSender(self)
        documented = {(op.method, op.template) for op in contract.operations()}
        assert set(self.handlers) <= documented, f"routes outside the contract: {set(self.handlers) - documented}"

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "GitHubStandin":
        standin = self

        class _Handler(RequestHandler):
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

    @property
    def content_per_minute(self) -> int:
        return self.content_limit.per_minute

    @content_per_minute.setter
    def content_per_minute(self, value: int) -> None:
        self.content_limit.per_minute = value

    # ------------------------------------------------------------------ what happened (for tests)
    def log_request(
        self, method: str, kind: str, path: str, status: int, counted: bool, login: str | None, operation=None
    ) -> None:
        entry = {
            "t": time.time(),
            "method": method,
            "path": path,
            "status": status,
            "kind": kind,
            "counted": counted,
            "login": login,
            "operation": operation,  # the contract's path template, for API requests it served
        }
        with self.log_lock:
            self.requests.append(entry)

    def api_calls(self, since_index: int = 0) -> list[dict]:
        with self.log_lock:
            return [r for r in self.requests[since_index:] if r["kind"] == "api"]

    def posted_reviews(self, repo: str | None = None) -> list[dict]:
        return [p for p in self.posted if p["kind"] == "review" and (repo is None or p["repo"] == repo)]

    def posted_issue_comments(self, repo: str | None = None) -> list[dict]:
        return [p for p in self.posted if p["kind"] == "issue_comment" and (repo is None or p["repo"] == repo)]

    def writes_in_any_minute(self) -> int:
        """The most content-creating requests any identity made within one 60-second window."""
        with self.log_lock:
            stamps = sorted(
                r["t"]
                for r in self.requests
                if r["kind"] == "api"
                and r["method"] == "POST"
                and r["status"] in (200, 201)
                and "/app/installations/" not in r["path"]
            )
        worst = 0
        for i, t in enumerate(stamps):
            worst = max(worst, sum(1 for u in stamps[i:] if u - t < 60))
        return worst

    def token_for(self, login: str) -> str:
        for token, owner in self.fixture.tokens.items():
            if owner.lower() == login.lower():
                return token
        raise KeyError(f"fixture has no token for {login}")

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
        value = value.strip()
        digest = hashlib.sha256(value.encode()).hexdigest()[:16]
        if value in self.fixture.tokens:
            return Identity(login=self.fixture.tokens[value], key=f"user:{digest}", kind="user")
        inst = self.installation_tokens.get(value)
        if inst:
            if time.time() > inst["expires"]:
                raise HttpError(401, "Bad credentials")
            if inst["installation"].get("suspended_at"):
                raise HttpError(403, "This installation has been suspended")
            return Identity(
                login=f"{inst['app']['slug']}[bot]",
                key=f"inst:{digest}",
                kind="installation",
                repos={x.lower() for x in inst["installation"]["repos"]},  # live: repos added later count
                app=inst["app"],
                installation_id=inst["installation"]["id"],
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

    # ------------------------------------------------------------------ the REST API
    def operation(self, req: Request) -> contract.Operation:
        """The documented operation a request is (the contract is the router), or GitHub's 404."""
        op = contract.operation_for(req.method, req.path)
        if op is None or (op.method, op.template) not in self.handlers:
            raise HttpError(404, "Not Found")
        return op

    def dispatch(self, op: contract.Operation, req: Request) -> Response:
        return self.handlers[(op.method, op.template)](req, **op.regex.match(req.path).groupdict())

    def shape(self, op: contract.Operation | None, status: int, body, method: str, path: str):
        """The body as GitHub would send it; what does not conform to GitHub's schema is noted."""
        if op is None or not isinstance(body, (dict, list)):
            return body
        pointer = contract.response_schema_pointer(op, status)
        body = contract.github_shaped(pointer, body, self.url)
        if self.validate_contract:
            documented = contract.documented_statuses(op)
            if status < 400 and str(status) not in documented:
                self.contract_violations.append(f"{method} {op.template}: status {status} is not documented")
            elif pointer is not None:
                problems = contract.errors_at(pointer, body)
                self.contract_violations += [f"{method} {op.template} -> {status}: {p}" for p in problems]
        return body
