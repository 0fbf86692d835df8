"""Tokens at rest are encrypted, rotate to new keys, and never print."""

from __future__ import annotations

import pickle

import pytest
from cryptography.fernet import Fernet

from techlead_pipeline.github_api.client import GitHubCredentials
from techlead_pipeline.github_api.token_vault import Secret, TokenVault, VaultError

TOKEN = "ghp_plantedtoken0123456789abcdefghijklmn"


def test_tokens_are_encrypted_and_round_trip(tmp_path):
    key = Fernet.generate_key().decode()
    vault = TokenVault.open(tmp_path, env={"TECHLEAD_FERNET_KEYS": key})
    vault.put("github_token", TOKEN)
    assert TOKEN not in vault.path.read_text()
    assert vault.get("github_token").reveal() == TOKEN


def test_rotation_to_a_new_key(tmp_path):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    TokenVault.open(tmp_path, env={"TECHLEAD_FERNET_KEYS": old}).put("github_token", TOKEN)
    both = TokenVault.open(tmp_path, env={"TECHLEAD_FERNET_KEYS": f"{new},{old}"})
    assert both.rotate() == 1
    only_new = TokenVault.open(tmp_path, env={"TECHLEAD_FERNET_KEYS": new})
    assert only_new.get("github_token").reveal() == TOKEN
    with pytest.raises(VaultError, match="cannot be decrypted"):
        TokenVault.open(tmp_path, env={"TECHLEAD_FERNET_KEYS": old}).get("github_token")


def test_secrets_never_print_or_pickle():
    secret = Secret(TOKEN)
    creds = GitHubCredentials(token=secret)
    for text in (repr(secret), str(secret), f"{secret}", repr(creds)):
        assert TOKEN not in text
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_a_local_key_file_is_private(tmp_path):
    TokenVault.open(tmp_path, env={}).put("x", "y")
    assert (tmp_path / "fernet.key").stat().st_mode & 0o077 == 0
