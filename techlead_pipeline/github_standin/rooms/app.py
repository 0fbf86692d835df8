"""GitHub Apps: the app itself (JWT), its installations, installation tokens, and the repositories
an installation may touch."""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone
from urllib.parse import urlencode

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
        return installation_json(self.urls, app, inst, self.user(inst.get("account", app.get("owner", ""))))

    @serves("GET", "/app")
    def app(self, req: Request) -> Response:
        app = self._app(req)
        return Response(body=app_json(self.urls, app, self.user(app.get("owner", "acme-labs")), PERMISSIONS))

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
        if inst.get("suspended_at"):
            raise HttpError(403, "This installation has been suspended")
        token = "ghs_" + secrets.token_urlsafe(27)
        expires = time.time() + TOKEN_TTL_S
        self.standin.installation_tokens[token] = {"app": app, "installation": inst, "expires": expires}
        self.standin.tokens_minted += 1
        return Response(
            status=201,
            body={
                "token": token,
                "expires_at": iso(datetime.fromtimestamp(expires, timezone.utc)),
                "permissions": PERMISSIONS,
                "repository_selection": "selected",
            },
        )

    # ------------------------------------------------------------------ webhook deliveries
    @serves("GET", "/app/hook/deliveries")
    def deliveries(self, req: Request) -> Response:
        self._app(req)
        newest_first = sorted(self.standin.hooks.log, key=lambda d: d.id, reverse=True)
        try:
            per_page = min(max(int(req.query.get("per_page", 30)), 1), 100)
            after = int(req.query["cursor"]) if req.query.get("cursor") else None
        except ValueError as exc:
            raise HttpError(422, "Invalid cursor") from exc
        if after is not None:
            newest_first = [d for d in newest_first if d.id < after]
        page = newest_first[:per_page]
        headers = {}
        if len(newest_first) > per_page:  # GitHub pages this log with a cursor, not page numbers
            query = urlencode({"per_page": per_page, "cursor": page[-1].id})
            headers["Link"] = f'<{self.standin.api_url}/app/hook/deliveries?{query}>; rel="next"'
        return Response(body=[d.item() for d in page], headers=headers)

    def _delivery(self, delivery_id: str):
        found = next((d for d in self.standin.hooks.log if str(d.id) == delivery_id), None)
        if found is None:
            raise HttpError(404, "Not Found")
        return found

    @serves("GET", "/app/hook/deliveries/{delivery_id}")
    def delivery(self, req: Request, delivery_id: str) -> Response:
        self._app(req)
        d = self._delivery(delivery_id)
        return Response(
            body={
                **d.item(),
                "url": self.standin.hooks.url,
                "request": {"headers": {"X-GitHub-Event": d.event, "X-GitHub-Delivery": d.guid}, "payload": d.payload},
                "response": {"headers": {}, "payload": d.response_body},
            }
        )

    @serves("POST", "/app/hook/deliveries/{delivery_id}/attempts")
    def redeliver(self, req: Request, delivery_id: str) -> Response:
        self._app(req)
        self.standin.hooks.redeliver(self._delivery(delivery_id).id)
        return Response(status=202, body={})

    @serves("GET", "/installation/repositories")
    def installation_repositories(self, req: Request) -> Response:
        ident = req.identity
        if ident is None or ident.kind != "installation":
            raise HttpError(401, "Requires authentication")
        repos = [self.fixture.repos[name] for name in sorted(ident.repos or ()) if name in self.fixture.repos]
        page = self.paginate(req, repos)
        page.body = {"total_count": len(repos), "repositories": [self.repo_obj(r) for r in page.body]}
        return page


# ---------------------------------------------------------------------------------------------- shapes
def app_json(urls: shapes.Urls, app: dict, owner: dict, permissions: dict) -> dict:
    return {
        "id": app["id"],
        "slug": app["slug"],
        "node_id": f"A_{app['id']}",
        "client_id": f"Iv1.{app['id']:016x}" if isinstance(app["id"], int) else f"Iv1.{app['id']}",
        "name": app.get("name", app["slug"]),
        "owner": owner,
        "description": app.get("description"),
        "external_url": f"{urls.web}/apps/{app['slug']}",
        "html_url": f"{urls.web}/apps/{app['slug']}",
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "permissions": permissions,
        "events": ["issue_comment", "pull_request_review", "pull_request_review_comment"],
    }


def installation_json(urls: shapes.Urls, app: dict, inst: dict, account: dict) -> dict:
    return {
        "id": inst["id"],
        "app_id": app["id"],
        "app_slug": app["slug"],
        "target_id": account["id"],
        "target_type": "Organization" if account.get("type") == "Organization" else "User",
        "account": account,
        "access_tokens_url": f"{urls.api}/app/installations/{inst['id']}/access_tokens",
        "repositories_url": f"{urls.api}/installation/repositories",
        "html_url": f"{urls.web}/settings/installations/{inst['id']}",
        "permissions": {"pull_requests": "write", "issues": "write", "contents": "read", "metadata": "read"},
        "events": ["issue_comment", "pull_request_review", "pull_request_review_comment"],
        "repository_selection": "selected",
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "single_file_name": None,
        "suspended_at": inst.get("suspended_at"),
        "suspended_by": account if inst.get("suspended_at") else None,
    }
