"""git's smart HTTP protocol, served by `git http-backend` over the fixture's bare repositories.

Partial clones (`--filter=blob:none`) and fetches of any commit by SHA are allowed, as on GitHub
(which serves commits that no ref reaches any more, e.g. force-pushed away).
"""

from __future__ import annotations

import subprocess

from ..common.gitcmd import git_env
from .protocol import HttpError

CONFIG = {
    "uploadpack.allowFilter": "true",
    "uploadpack.allowAnySHA1InWant": "true",
    "http.uploadpack": "true",
    "http.receivepack": "false",
}
CHALLENGE = {"WWW-Authenticate": 'Basic realm="GitHub"', "Content-Type": "text/plain"}


def serve_git(standin, headers, method: str, owner: str, name: str, rest: str, query: str, body: bytes):
    """(status, headers, payload) for one smart-HTTP request."""
    repo = standin.fixture.repo(owner, name)
    if repo is None:
        return 404, {"Content-Type": "text/plain"}, b"Repository not found.\n"
    try:
        ident = standin.identify(headers)
    except HttpError:
        return 401, CHALLENGE, b"Bad credentials\n"
    if repo.meta.get("private") and (
        ident is None
        or ident.kind == "app"
        or (ident.kind == "installation" and repo.full_name.lower() not in (ident.repos or set()))
    ):
        return 401, CHALLENGE, b"Authentication required\n"
    env = git_env(
        {
            "GIT_PROJECT_ROOT": str(repo.git_dir.parent),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": f"/{repo.git_dir.name}/{rest}",
            "QUERY_STRING": query,
            "REQUEST_METHOD": method,
            "CONTENT_TYPE": headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "GIT_PROTOCOL": headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": headers.get("Content-Encoding", ""),
            "REMOTE_ADDR": "127.0.0.1",
        },
        config=CONFIG,
    )
    proc = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, timeout=600)
    head, sep, payload = proc.stdout.partition(b"\r\n\r\n")
    if not sep:
        head, _, payload = proc.stdout.partition(b"\n\n")
    status = 200
    out: dict[str, str] = {}
    for line in head.decode("latin-1").splitlines():
        key, _, value = line.partition(":")
        if key.lower() == "status":
            status = int(value.strip().split()[0])
        elif key:
            out[key.strip()] = value.strip()
    return status, out, payload
