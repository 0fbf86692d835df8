"""Resumable collection: pages already fetched survive a killed run, encrypted at rest.

Pages hold diff hunks (source code), so they are Fernet-encrypted, carry a time-to-live that
decryption enforces, and are deleted as soon as the collection that wrote them completes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path

from cryptography.fernet import InvalidToken, MultiFernet


class CollectionCheckpoint:
    def __init__(self, folder: Path, fernet: MultiFernet, params: dict, ttl_s: int):
        self.folder = folder
        self.fernet = fernet
        self.ttl_s = ttl_s
        self.fingerprint = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def _state_file(self) -> Path:
        return self.folder / "state.json"

    def load(self) -> tuple[int, list[list[dict]], str | None]:
        """(number of complete pages, their rows, the address of the page after them) of an
        earlier, unfinished collection, if usable."""
        if not self._state_file.exists():
            return 0, [], None
        try:
            state = json.loads(self._state_file.read_text())
            if state.get("fingerprint") != self.fingerprint or time.time() - state["started"] > self.ttl_s:
                self.clear()
                return 0, [], None
            pages = []
            for page in range(1, int(state["pages"]) + 1):
                token = (self.folder / f"page-{page:05d}.enc").read_bytes()
                pages.append(json.loads(self.fernet.decrypt(token, ttl=self.ttl_s)))
            return len(pages), pages, str(state["next"])
        except (OSError, ValueError, KeyError, InvalidToken):
            self.clear()  # unreadable, expired or from an older format: start afresh rather than trust it
            return 0, [], None

    def save_page(self, page: int, rows: list[dict], next_url: str) -> None:
        """Page `page` is complete; `next_url` is GitHub's link to the one after it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"page-{page:05d}.enc").write_bytes(self.fernet.encrypt(json.dumps(rows, default=str).encode()))
        started = time.time()
        if self._state_file.exists():
            started = json.loads(self._state_file.read_text()).get("started", started)
        tmp = self._state_file.with_suffix(".tmp")
        tmp.write_text(
            json.dumps({"fingerprint": self.fingerprint, "pages": page, "next": next_url, "started": started})
        )
        tmp.replace(self._state_file)

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
