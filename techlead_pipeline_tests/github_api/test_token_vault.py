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


def test_vault_problems_are_sentences_not_tracebacks(tmp_path):
    from techlead_pipeline.common.errors import UserFacingError

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    TokenVault.open(tmp_path, env={"TECHLEAD_FERNET_KEYS": old}).put("github_token", TOKEN)
    before = (tmp_path / "credentials.json").read_bytes()
    with pytest.raises(VaultError, match="list the new key first and the old one after it"):
        TokenVault.open(tmp_path, env={"TECHLEAD_FERNET_KEYS": new}).rotate()  # the old key is not given
    assert (tmp_path / "credentials.json").read_bytes() == before  # nothing changed
    with pytest.raises(VaultError, match="empty"):
        TokenVault.open(tmp_path, env={"TECHLEAD_FERNET_KEYS": old}).put("github_token", "  ")
    (tmp_path / "credentials.json").write_text('{"github_token": "gAAAA')  # cut short
    with pytest.raises(VaultError, match="damaged"):
        TokenVault.open(tmp_path, env={"TECHLEAD_FERNET_KEYS": old}).get("github_token")
    assert issubclass(VaultError, UserFacingError)


def test_a_lost_key_file_is_reported_not_replaced(tmp_path):
    TokenVault.open(tmp_path, env={}).put("github_token", TOKEN)
    (tmp_path / "fernet.key").unlink()
    with pytest.raises(VaultError, match="the vault's key is missing"):
        TokenVault.open(tmp_path, env={})
    assert not (tmp_path / "fernet.key").exists()  # a new key would orphan every credential


def test_the_cli_answers_vault_mistakes_in_a_sentence(tmp_path, monkeypatch, capsys):
    import io

    from techlead_pipeline.cli import main

    monkeypatch.setenv("TECHLEAD_HOME", str(tmp_path))
    monkeypatch.delenv("TECHLEAD_FERNET_KEYS", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert main(["credentials", "--token-stdin"]) == 2
    assert "empty" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(TOKEN + "\n"))
    assert main(["credentials", "--token-stdin"]) == 0
    monkeypatch.setenv("TECHLEAD_FERNET_KEYS", Fernet.generate_key().decode())  # not the key it was stored with
    assert main(["credentials", "--rotate"]) == 2
    said = capsys.readouterr()
    assert "cannot be decrypted" in said.err and "Traceback" not in said.out + said.err
    assert main(["credentials", "--app-id", "12"]) == 2
    assert "--app-key-file" in capsys.readouterr().err
