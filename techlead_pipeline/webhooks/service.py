"""`techlead webhook`: the ASGI service GitHub delivers the App's webhooks to (Starlette on uvicorn).

    POST /webhook   a delivery: signature checked, then stored; the mention sensor does the rest
    GET  /healthz   readiness: the instance database answers
    GET  /livez     liveness: the process answers (a database outage must not restart it)

It answers in milliseconds, well inside GitHub's 10-second timeout: a delivery is verified
(`X-Hub-Signature-256`, constant-time), reduced to what the bot needs (events.py) and stored once
by its `X-GitHub-Delivery` (store.py). 401 for an unsigned or wrongly signed request, 413 over
GitHub's 25 MB payload cap, 400 for what is not JSON; the same delivery twice is 200, stored once.
"""

from __future__ import annotations

import json
import logging
from typing import Callable
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .events import record_for
from .signature import verify
from .store import DeliveryStore

log = logging.getLogger(__name__)
MAX_PAYLOAD_BYTES = 25 * 1024 * 1024  # GitHub caps webhook payloads at 25 MB
SECRET_NAME = "webhook_secret"


class _TooLarge(Exception):
    pass


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_PAYLOAD_BYTES:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_PAYLOAD_BYTES:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _json_text(body: bytes, content_type: str | None) -> bytes | str:
    """The delivery's JSON. A webhook set to `application/x-www-form-urlencoded` (a choice GitHub
    offers for repository and organization hooks) sends it as the form field `payload`; the
    signature covers the raw body either way."""
    if (content_type or "").split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        fields = parse_qs(body.decode("ascii"), strict_parsing=True)
        return fields["payload"][-1]
    return body


def create_app(secret: Callable[[], str], store: Callable[[], DeliveryStore]) -> Starlette:
    """`secret` and `store` are asked for on use, so the service starts before its database is reachable
    and a rotated secret needs no restart."""

    async def receive(request: Request) -> JSONResponse:
        try:
            body = await _body(request)
        except _TooLarge:
            return JSONResponse({"message": "payload over GitHub's 25 MB cap"}, status_code=413)
        if not verify(secret(), body, request.headers.get("x-hub-signature-256")):
            return JSONResponse({"message": "bad or missing X-Hub-Signature-256"}, status_code=401)
        event = request.headers.get("x-github-event")
        delivery = request.headers.get("x-github-delivery")
        if not event or not delivery or len(delivery) > 80:
            return JSONResponse({"message": "X-GitHub-Event and X-GitHub-Delivery are required"}, status_code=400)
        try:
            payload = json.loads(_json_text(body, request.headers.get("content-type")))
            record = record_for(event, payload)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("delivery %s (%s) not understood: %s", delivery, event, type(exc).__name__)
            return JSONResponse({"message": "payload is not a GitHub delivery this service reads"}, status_code=400)
        stored = await run_in_threadpool(store().add, delivery, event, record)
        return JSONResponse({"stored": stored, "kind": record.kind}, status_code=202 if stored else 200)

    async def healthz(request: Request) -> JSONResponse:
        try:
            count = await run_in_threadpool(store().count)
        except Exception as exc:  # noqa: BLE001 - a probe says what is wrong, it does not crash
            return JSONResponse({"ok": False, "error": type(exc).__name__}, status_code=503)
        return JSONResponse({"ok": True, "deliveries": count})

    async def livez(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/webhook", receive, methods=["POST"]),
            Route("/", receive, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/livez", livez, methods=["GET"]),
        ]
    )


def configured_secret() -> str:
    """The webhook secret: `TECHLEAD_WEBHOOK_SECRET`, else the encrypted vault's `webhook_secret`."""
    import os

    from ..common.settings import Settings
    from ..github_api.token_vault import TokenVault

    if os.environ.get("TECHLEAD_WEBHOOK_SECRET"):
        return os.environ["TECHLEAD_WEBHOOK_SECRET"]
    vault = TokenVault.open(Settings().secrets_dir)
    if vault.has(SECRET_NAME):
        return vault.get(SECRET_NAME).reveal()
    raise RuntimeError("no webhook secret: `techlead credentials --webhook-secret-stdin` or TECHLEAD_WEBHOOK_SECRET")


def default_app() -> Starlette:
    """The service as deployed: the Dagster instance of DAGSTER_HOME, the configured secret."""
    import dagster as dg

    cache: dict = {}

    def store() -> DeliveryStore:
        if "store" not in cache:
            cache["store"] = DeliveryStore(dg.DagsterInstance.get())
        return cache["store"]

    def secret() -> str:
        if "secret" not in cache:
            cache["secret"] = configured_secret()
        return cache["secret"]

    return create_app(secret, store)


class BackgroundService:
    """The service on loopback in a thread of this process (the demo, tests): `url`, then `stop()`."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0):
        import socket
        import threading

        import uvicorn

        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.url = f"http://{host}:{self._socket.getsockname()[1]}/webhook"
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="webhook-service", daemon=True
        )
        self._thread.start()
        import time

        deadline = time.time() + 10
        while not self._server.started and time.time() < deadline:
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()

    def __enter__(self) -> "BackgroundService":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
