"""The stand-in's HTTP plumbing: reading requests, GitHub's headers (rate limits, ETag, 304),
switchable faults, git's smart HTTP, and the `/_standin/` control endpoints tests use."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import socket
import struct
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .faults import SECONDARY_LIMIT_MESSAGE, FaultRule
from .git_http import serve_git
from .protocol import DOCS, HttpError, Request, Response

_GIT = re.compile(r"^/([^/]+)/([^/]+?)\.git/(.*)$")
BAD_GATEWAY = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


class RequestHandler(BaseHTTPRequestHandler):
    owner: Any  # the GitHubStandin
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

    def _handle(self) -> None:
        split = urlsplit(self.path)
        path = split.path
        body = self._read_body()
        if path.startswith("/_standin/"):
            self._control(path, body)
            return
        owner = self.owner
        latency = owner.faults.latency_ms(self.command, self.path)
        if latency:
            time.sleep(latency / 1000.0)
        git = _GIT.match(path)
        kind = "git" if git else "api"
        fault = owner.faults.next_fault(self.command, self.path)
        lost_response = fault is not None and fault.kind == "lost_response"
        short_page = fault is not None and fault.kind == "short_page"
        if fault is not None and not (lost_response or short_page) and self._apply_fault(fault, kind, path):
            return
        if git:
            status, headers, payload = serve_git(
                owner, self.headers, self.command, git.group(1), git.group(2), git.group(3), split.query, body
            )
            owner.log_request(self.command, "git", path, status, False, None)
            self._send(status, headers, payload, bytes_out=True)
            return
        if not path.startswith("/api/v3"):
            owner.log_request(self.command, "web", path, 404, False, None)
            self._send_json(404, {"message": "Not Found", "documentation_url": DOCS})
            return
        self._api(path[len("/api/v3") :] or "/", split.query, body, lost_response, short_page)

    def _api(
        self, api_path: str, query_string: str, body: bytes, lost_response: bool, short_page: bool = False
    ) -> None:
        owner = self.owner
        query = {k: v[-1] for k, v in parse_qs(query_string, keep_blank_values=True).items()}
        req = Request(self.command, api_path, query, self.headers, body)
        resource = "search" if api_path.startswith("/search/") else "core"
        login = None
        op = None
        try:
            req.identity = owner.identify(self.headers)
            login = req.identity.login if req.identity else None
            key = req.identity.key if req.identity else "anon"
            owner.rate.check(key, resource)
            if self.command == "POST" and not api_path.startswith("/app/"):
                owner.content_limit.check(key)
            op = owner.operation(req)
            resp = owner.dispatch(op, req)
            resp.body = owner.shape(op, resp.status, resp.body, self.command, api_path)
            if short_page and isinstance(resp.body, list):
                resp.body = resp.body[::2]  # every other item filtered out; the Link header stays
            payload, ctype = _encode(resp)
            etag = '"' + hashlib.sha256(payload).hexdigest()[:40] + '"'
            template = op.template if op else None
            if self.command == "GET" and resp.status == 200 and etag in (self.headers.get("If-None-Match") or ""):
                # Conditional hit: GitHub answers 304 and does not charge the rate limit.
                owner.log_request(self.command, "api", api_path, 304, False, login, template)
                self._send(304, dict(owner.rate.peek(key, resource), ETag=etag), b"")
                return
            if lost_response:  # GitHub did the work; a proxy between us lost the answer
                owner.log_request(self.command, "api", api_path, 502, False, login, template)
                self._send(502, {"Content-Type": "text/html"}, BAD_GATEWAY)
                return
            rate_headers = owner.rate.consume(key, resource) if resp.counted else owner.rate.peek(key, resource)
            headers = {**rate_headers, **resp.headers, "Content-Type": ctype}
            if self.command == "GET":
                headers["ETag"] = etag
            owner.log_request(self.command, "api", api_path, resp.status, resp.counted, login, template)
            self._send(resp.status, headers, payload)
        except HttpError as err:
            owner.log_request(self.command, "api", api_path, err.status, False, login, op.template if op else None)
            self._send_json(err.status, owner.shape(op, err.status, err.body(), self.command, api_path), err.headers)

    def _apply_fault(self, fault: FaultRule, kind: str, path: str) -> bool:
        owner = self.owner
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            value = float(fault.retry_after)
            headers["Retry-After"] = str(int(value)) if value.is_integer() else str(value)
        simple = {
            "secondary_rate_limit": (403, fault.message or SECONDARY_LIMIT_MESSAGE),
            "too_many_requests": (429, fault.message or "Too Many Requests"),
            "status": (fault.status or 500, fault.message or "Server Error"),
        }
        if fault.kind in simple:
            status, message = simple[fault.kind]
            owner.log_request(self.command, kind, path, status, False, None)
            self._send_json(status, {"message": message, "documentation_url": DOCS}, headers)
            return True
        if fault.kind == "bad_gateway":
            owner.log_request(self.command, kind, path, 502, False, None)
            self._send(502, {"Content-Type": "text/html", **headers}, BAD_GATEWAY)
            return True
        if fault.kind == "reset":
            owner.log_request(self.command, kind, path, 0, False, None)
            self._reset_connection()
            return True
        if fault.kind == "truncate":
            # Start a normal-looking response, then drop the connection mid-body.
            owner.log_request(self.command, kind, path, 0, False, None)
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

    def _send(self, status: int, headers: dict, payload: bytes, bytes_out: bool = False) -> None:
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
            if bytes_out:
                self.owner.git_bytes_sent += len(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _control(self, path: str, body: bytes) -> None:
        owner = self.owner
        if path == "/_standin/posted" and self.command == "GET":
            self._send_json(200, owner.posted)
        elif path == "/_standin/requests" and self.command == "GET":
            self._send_json(200, owner.requests)
        elif path == "/_standin/stats" and self.command == "GET":
            api = [r for r in owner.requests if r["kind"] == "api"]
            self._send_json(200, {"api_calls": len(api), "git_bytes_sent": owner.git_bytes_sent})
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


def _encode(resp: Response) -> tuple[bytes, str]:
    if isinstance(resp.body, bytes):
        return resp.body, resp.content_type
    return json.dumps(resp.body).encode(), resp.content_type
