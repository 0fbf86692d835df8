"""GitHub Apps: the app itself (JWT), its installations, installation tokens, and the repositories
an installation may touch."""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone

from .. import shapes
from ..protocol import HttpError, Request, Response, iso
from . import Room, serves

TOKEN_TTL_S = 3600
PERMISSIONS = {"pull_requests": "write", "issues": "write", "contents": "read", "metadata": "read"}


class AppRoom(Room):
    def _app(self, req: Request) -> dict:
        if not req.identity or req.identity.kind != "app":
            raise HttpError(401, "A JSON web token could not be decoded")
        return req.identity.app

    def installation_obj(self, app: dict, inst: dict) -> dict:
        return shapes.installation_json(self.urls, app, inst, self.user(inst.get("account", app.get("owner", ""))))

    @serves("GET", "/app")
    def app(self, req: Request) -> Response:
        app = self._app(req)
        return Response(body=shapes.app_json(self.urls, app, self.user(app.get("owner", "acme-labs")), PERMISSIONS))

    @serves("GET", "/app/installations")
    def installations(self, req: Request) -> Response:
        app = self._app(req)
        page = self.paginate(req, list(app.get("installations", [])))
        page.body = [self.installation_obj(app, i) for i in page.body]
        return page

    @serves("GET", "/repos/{owner}/{repo}/installation")
    def repo_installation(self, req: Request, owner: str, repo: str) -> Response:
        app = self._app(req)
        full = f"{owner}/{repo}".lower()
        for inst in app.get("installations", []):
            if full in {x.lower() for x in inst["repos"]}:
                return Response(body=self.installation_obj(app, inst))
        raise HttpError(404, "Not Found")

    @serves("POST", "/app/installations/{installation_id}/access_tokens")
    def access_token(self, req: Request, installation_id: str) -> Response:
        app = self._app(req)
        inst = next((i for i in app.get("installations", []) if str(i["id"]) == installation_id), None)
        if inst is None:
            raise HttpError(404, "Not Found")
        token = "ghs_" + secrets.token_urlsafe(27)
        expires = time.time() + TOKEN_TTL_S
        self.standin.installation_tokens[token] = {"app": app, "installation": inst, "expires": expires}
        return Response(
            status=201,
            body={
                "token": token,
                "expires_at": iso(datetime.fromtimestamp(expires, timezone.utc)),
                "permissions": PERMISSIONS,
                "repository_selection": "selected",
            },
        )

    @serves("GET", "/installation/repositories")
    def installation_repositories(self, req: Request) -> Response:
        ident = req.identity
        if ident is None or ident.kind != "installation":
            raise HttpError(401, "Requires authentication")
        repos = [self.fixture.repos[name] for name in sorted(ident.repos or ()) if name in self.fixture.repos]
        page = self.paginate(req, repos)
        page.body = {"total_count": len(repos), "repositories": [self.repo_obj(r) for r in page.body]}
        return page
