"""GitHub credentials at rest: Fernet-encrypted, with key rotation (MultiFernet).

Keys come from `TECHLEAD_FERNET_KEYS` (comma-separated, newest first). For local use only, a
key file is created under the home's secrets folder when no key is configured. Plain tokens
exist only in memory, wrapped in `Secret`, whose repr never shows them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class Secret:
    """A string that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __reduce__(self):  # never pickled into Dagster storage
        raise TypeError("Secret values cannot be pickled")


class VaultError(RuntimeError):
    pass


def load_keys(secrets_dir: Path, env: dict | None = None) -> MultiFernet:
    env = os.environ if env is None else env
    raw = env.get("TECHLEAD_FERNET_KEYS", "")
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if not keys:
        key_file = secrets_dir / "fernet.key"
        if not key_file.exists():
            secrets_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(Fernet.generate_key())
        keys = [key_file.read_text().strip()]
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as exc:
        raise VaultError("TECHLEAD_FERNET_KEYS holds a key that is not a valid Fernet key") from exc


class TokenVault:
    """Named credentials (personal tokens, app private keys), encrypted in one JSON file."""

    def __init__(self, path: Path, fernet: MultiFernet):
        self.path = path
        self.fernet = fernet

    @classmethod
    def open(cls, secrets_dir: Path, env: dict | None = None) -> "TokenVault":
        return cls(secrets_dir / "credentials.json", load_keys(secrets_dir, env))

    def _load(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        return json.loads(self.path.read_text())

    def _save(self, data: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(tmp, self.path)

    def put(self, name: str, value: str | Secret) -> None:
        plain = value.reveal() if isinstance(value, Secret) else value
        data = self._load()
        data[name] = self.fernet.encrypt(plain.encode()).decode()
        self._save(data)

    def get(self, name: str) -> Secret:
        data = self._load()
        if name not in data:
            raise VaultError(f"no credential named {name!r} in the vault")
        try:
            return Secret(self.fernet.decrypt(data[name].encode()).decode())
        except InvalidToken as exc:
            raise VaultError(f"credential {name!r} cannot be decrypted with the configured keys") from exc

    def has(self, name: str) -> bool:
        return name in self._load()

    def rotate(self) -> int:
        """Re-encrypts every credential under the newest key; returns how many."""
        data = self._load()
        rotated = {k: self.fernet.rotate(v.encode()).decode() for k, v in data.items()}
        self._save(rotated)
        return len(rotated)
