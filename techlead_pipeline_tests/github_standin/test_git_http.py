"""git, unmodified, clones and fetches from the stand-in over smart HTTP."""

from __future__ import annotations

import base64
import subprocess

from techlead_pipeline.common.gitcmd import git_env
from techlead_pipeline.sample.builder import BOT_LOGIN
from techlead_pipeline_tests.conftest import SAMPLE_REPO


def _auth_env(token: str | None) -> dict:
    if token is None:
        return git_env()
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return git_env(config={"http.extraHeader": f"Authorization: Basic {basic}"})


def test_clone_and_fetch_pull_heads(standin, tmp_path):
    env = _auth_env(standin.token_for(BOT_LOGIN))
    url = f"{standin.url}/{SAMPLE_REPO}.git"
    subprocess.run(["git", "clone", "-q", url, str(tmp_path / "clone")], env=env, check=True)
    assert (tmp_path / "clone" / "billing_core" / "invoices.py").exists()
    subprocess.run(
        ["git", "fetch", "-q", "origin", "+refs/pull/*/head:refs/pull/*/head"],
        cwd=tmp_path / "clone",
        env=env,
        check=True,
    )
    heads = subprocess.run(
        ["git", "for-each-ref", "refs/pull"],
        cwd=tmp_path / "clone",
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert len(heads) == 52
    assert any(r["kind"] == "git" for r in standin.requests)


def test_private_repository_needs_credentials(standin, tmp_path):
    result = subprocess.run(
        ["git", "clone", "-q", f"{standin.url}/{SAMPLE_REPO}.git", str(tmp_path / "x")],
        env=_auth_env(None),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "Authentication" in result.stderr or "could not read Username" in result.stderr
