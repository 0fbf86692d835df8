"""`X-Hub-Signature-256`: HMAC-SHA256 of the raw body with the App's webhook secret, compared in
constant time (GitHub's documented scheme)."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Whether `header` is the signature of `body` under `secret` (False for a missing or malformed one)."""
    if not header or not header.startswith(PREFIX) or not secret:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), header.strip().lower().encode("ascii", "replace"))
