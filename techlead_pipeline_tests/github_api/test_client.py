"""GitHubAccess authenticates with a token or as a GitHub App, for REST and for git."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

from techlead_pipeline.defs.dev_server import free_port
from techlead_pipeline.github_api.client import APP_ID_NAME, APP_KEY_NAME, GitHubAccess, GitHubCredentials
from techlead_pipeline.github_api.token_vault import TokenVault
from techlead_pipeline.history.code_context import RepoMirror
from techlead_pipeline.sample.builder import APP_ID, BOT_LOGIN, app_private_key_pem
from techlead_pipeline_tests.conftest import SAMPLE_REPO


def test_github_app_credentials_from_the_vault(settings, standin, tmp_path):
    vault = TokenVault.open(tmp_path / "secrets")
    vault.put(APP_ID_NAME, str(APP_ID))
    vault.put(APP_KEY_NAME, app_private_key_pem().decode())
    access = GitHubAccess(settings, GitHubCredentials.from_vault(vault), SAMPLE_REPO)
    pr = access.client.get_repo(SAMPLE_REPO).get_pull(50)
    assert pr.create_issue_comment("as the app").user.login == f"{BOT_LOGIN}[bot]"
    with RepoMirror(access, parent=tmp_path / "m") as mirror:  # git with the installation token
        mirror.fetch_all()
        assert mirror.has_commit(pr.head.sha)
    assert "ghs_" not in repr(access) + repr(access.credentials)


def test_standin_command_serves_a_fixture_git_can_clone(sample_fixture, tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "techlead_pipeline.cli",
            "github-standin",
            "--fixture",
            str(sample_fixture),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        import json

        token = next(
            t for t, u in json.loads((sample_fixture / "fixture.json").read_text())["tokens"].items() if u == BOT_LOGIN
        )
        result = subprocess.run(
            [
                "git",
                "-c",
                f"http.extraHeader=Authorization: Bearer {token}",
                "clone",
                "-q",
                f"http://127.0.0.1:{port}/{SAMPLE_REPO}.git",
                str(tmp_path / "c"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "c" / "README.md").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
