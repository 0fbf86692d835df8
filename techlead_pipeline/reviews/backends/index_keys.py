"""Secret keys for the hashing of kept retrieval indexes.

Each index gets its own key, derived from a random salt (kept in clear in the index's
`index.json`) and one master secret, which lives only in the Fernet-encrypted vault (created there
on first use). Copying an adapters folder therefore copies no way to test guessed code against its
vectors; losing the vault makes the indexes unreadable (the adapters are then retrained), as it
makes the GitHub credentials.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from ...common.errors import UserFacingError
from ...common.safe_markdown import code_span

MASTER_NAME = "retrieval-index-master"


@dataclass(frozen=True)
class IndexKey:
    salt: bytes
    secret: bytes

    def __repr__(self) -> str:  # never print the secret
        return f"IndexKey(salt={self.salt.hex()})"

    @property
    def check(self) -> str:
        """A short value, kept with the index, that tells whether a key is the one it was built with
        (another vault derives another key, whose vectors would match nothing, silently)."""
        return hmac.new(self.secret, b"check", hashlib.sha256).hexdigest()[:16]


class IndexKeyMismatch(UserFacingError):
    def __init__(self, folder):
        super().__init__(
            f"the retrieval index of adapter version {code_span(Path(folder).parent.name)} was hashed with another "
            "vault's key (was the vault replaced?); "
            "mention the bot again with `--force-reload` to learn this reviewer again"
        )


def derive(master: bytes, salt: bytes) -> IndexKey:
    return IndexKey(salt, hmac.new(master, b"techlead-retrieval-index:" + salt, hashlib.sha256).digest())


def _vault_master() -> bytes:
    from ...common.settings import Settings
    from ...github_api.token_vault import TokenVault

    vault = TokenVault.open(Settings().secrets_dir)
    secret = vault.get_or_create(MASTER_NAME, lambda: base64.b64encode(os.urandom(32)).decode())
    return base64.b64decode(secret.reveal())


def vault_index_key(salt: bytes) -> IndexKey:
    """The key of an existing index, from its salt."""
    return derive(_vault_master(), salt)


def new_vault_index_key() -> IndexKey:
    """A key for a new index."""
    return vault_index_key(os.urandom(16))
