"""GitHub credentials at rest: Fernet-encrypted, with key rotation (MultiFernet).

Keys come from `TECHLEAD_FERNET_KEYS` (comma-separated, newest first). For local use only, a
key file is created under the home's secrets folder when no key is configured. Plain tokens
exist only in memory, wrapped in `Secret`, whose repr never shows them.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ..common.errors import UserFacingError
from ..common.private_files import write_private


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


class VaultError(UserFacingError):
    """The vault cannot do what was asked; the message says what to do about it."""


def load_keys(secrets_dir: Path, env: dict | None = None) -> MultiFernet:
    env = os.environ if env is None else env
    raw = env.get("TECHLEAD_FERNET_KEYS", "")
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if not keys:
        key_file = secrets_dir / "fernet.key"
        if not key_file.exists() and (secrets_dir / "credentials.json").exists():
            # A new key would make every stored credential unreadable: say so instead.
            raise VaultError(
                f"the vault's key is missing ({key_file} is gone and TECHLEAD_FERNET_KEYS is not set): restore "
                "it, or set TECHLEAD_FERNET_KEYS, to read the stored credentials"
            )
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
        try:
            data = json.loads(self.path.read_text())
        except ValueError as exc:
            raise VaultError(f"the vault file {self.path} is damaged (not JSON); restore it from a backup") from exc
        if not isinstance(data, dict):
            raise VaultError(f"the vault file {self.path} is damaged (not a JSON object); restore it from a backup")
        return data

    @contextmanager
    def _locked(self):
        """One writer at a time, across processes (a read-modify-write of one file)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(".vault.lock"), "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            yield

    def _save(self, data: dict[str, str]) -> None:
        write_private(self.path, json.dumps(data, indent=1, sort_keys=True))

    def put(self, name: str, value: str | Secret) -> None:
        plain = value.reveal() if isinstance(value, Secret) else value
        if not plain.strip():
            raise VaultError(f"nothing to store as {name!r}: the value given is empty")
        with self._locked():
            data = self._load()
            data[name] = self.fernet.encrypt(plain.encode()).decode()
            self._save(data)

    def get_or_create(self, name: str, make: Callable[[], str]) -> Secret:
        """The secret called `name`, made with `make()` and stored the first time (by one process)."""
        with self._locked():
            data = self._load()
            if name not in data:
                data[name] = self.fernet.encrypt(make().encode()).decode()
                self._save(data)
        return self.get(name)

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
        with self._locked():
            data = self._load()
            try:
                rotated = {k: self.fernet.rotate(v.encode()).decode() for k, v in data.items()}
            except InvalidToken as exc:
                raise VaultError(
                    "the stored credentials cannot be decrypted with any configured key: list the new key "
                    "first and the old one after it in TECHLEAD_FERNET_KEYS (nothing was changed)"
                ) from exc
            self._save(rotated)
        return len(rotated)
