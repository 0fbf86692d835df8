"""The stand-in's App webhooks, as GitHub sends them: signed deliveries POSTed to the App's webhook
URL, one at a time in the order things happened, with GitHub's headers and a 10-second timeout; a
delivery log (what `GET /app/hook/deliveries` serves) with each attempt's status; and redelivery
of any delivery by id (`POST .../attempts`: same GUID, `redelivery: true`).

Payloads are built from the same JSON objects the REST API serves and shaped by GitHub's own
webhook schemas (contract/), which they are validated against like every REST answer.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

import requests

from ..webhooks.signature import sign
from .contract import schema as contract

TIMEOUT_S = 10.0  # GitHub gives a receiver 10 seconds


@dataclass
class Delivery:
    id: int
    guid: str
    event: str
    action: str | None
    installation_id: int | None
    repository_id: int | None
    payload: dict
    redelivery: bool = False
    delivered_at: str = ""
    duration: float = 0.0
    status: str = "pending"
    status_code: int = 0
    response_body: str = ""
    attempted: threading.Event = field(default_factory=threading.Event)

    def item(self) -> dict:
        return {
            "id": self.id,
            "guid": self.guid,
            "delivered_at": self.delivered_at,
            "redelivery": self.redelivery,
            "duration": round(self.duration, 3),
            "status": self.status,
            "status_code": self.status_code,
            "event": self.event,
            "action": self.action,
            "installation_id": self.installation_id,
            "repository_id": self.repository_id,
        }


class HookSender:
    def __init__(self, standin):
        self.standin = standin
        self.url: str | None = None
        self.secret: str | None = None
        self.log: list[Delivery] = []
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._next_id = 90_000_000
        self._worker = threading.Thread(target=self._run, name="standin-webhooks", daemon=True)
        self._worker.start()

    def configure(self, url: str | None, secret: str | None) -> None:
        self.url, self.secret = url, secret

    @property
    def enabled(self) -> bool:
        return bool(self.url and self.secret)

    # ------------------------------------------------------------------ sending
    def send(self, event: str, payload: dict, installation_id: int | None, repository_id: int | None = None) -> None:
        if not self.enabled:
            return
        name = f"{event.replace('_', '-')}-{payload['action']}" if payload.get("action") else event
        if name in contract.document()["x-webhooks"]:
            pointer = contract.webhook_schema_pointer(name)
            payload = contract.github_shaped(pointer, payload, self.standin.url)
            if self.standin.validate_contract:
                self.standin.contract_violations += [
                    f"webhook {name}: {p}" for p in contract.errors_at(pointer, payload)
                ]
        with self._lock:
            self._next_id += 1
            delivery = Delivery(
                self._next_id, str(uuid.uuid4()), event, payload.get("action"), installation_id, repository_id, payload
            )
            self.log.append(delivery)
        self._queue.put(delivery)

    def redeliver(self, delivery_id: int) -> Delivery | None:
        with self._lock:
            original = next((d for d in self.log if d.id == delivery_id), None)
            if original is None:
                return None
            self._next_id += 1
            again = Delivery(
                self._next_id,
                original.guid,
                original.event,
                original.action,
                original.installation_id,
                original.repository_id,
                original.payload,
                redelivery=True,
            )
            self.log.append(again)
        self._queue.put(again)
        return again

    def _run(self) -> None:
        while True:
            delivery = self._queue.get()
            try:
                self._attempt(delivery)
            finally:
                delivery.attempted.set()
                self._queue.task_done()

    def _attempt(self, d: Delivery) -> None:
        body = json.dumps(d.payload).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Hookshot/standin",
            "X-GitHub-Event": d.event,
            "X-GitHub-Delivery": d.guid,
            "X-GitHub-Hook-ID": "1",
            "X-GitHub-Hook-Installation-Target-Type": "integration",
            "X-GitHub-Hook-Installation-Target-ID": str(self.standin.fixture.apps[0]["id"])
            if self.standin.fixture.apps
            else "0",
            "X-Hub-Signature-256": sign(self.secret or "", body),
        }
        d.delivered_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        started = time.perf_counter()
        try:
            r = requests.post(self.url, data=body, headers=headers, timeout=TIMEOUT_S)
            d.status_code = r.status_code
            d.status = "OK" if 200 <= r.status_code < 300 else f"Invalid HTTP Response: {r.status_code}"
            d.response_body = r.text[:1000]
        except requests.Timeout:
            d.status, d.status_code = "timed out", 0
        except requests.RequestException:
            d.status, d.status_code = "We couldn't deliver this payload: failed to connect to host", 0
        d.duration = time.perf_counter() - started

    def wait(self, timeout: float = 30.0) -> None:
        """Blocks until every queued delivery has been attempted (tests, the demo)."""
        deadline = time.time() + timeout
        while self._queue.unfinished_tasks and time.time() < deadline:
            time.sleep(0.01)
