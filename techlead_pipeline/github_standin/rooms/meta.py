"""Rate limit and users."""

from __future__ import annotations

from .. import shapes
from ..protocol import HttpError, Request, Response
from . import Room, serves


class MetaRoom(Room):
    @serves("GET", "/rate_limit")
    def rate_limit(self, req: Request) -> Response:
        key = req.identity.key if req.identity else "anon"
        core = self.standin.rate.snapshot(key, "core")
        search = self.standin.rate.snapshot(key, "search")
        return Response(body={"resources": {"core": core, "search": search}, "rate": core}, counted=False)

    @serves("GET", "/user")
    def authenticated_user(self, req: Request) -> Response:
        ident = self.need_user(req)
        return Response(body=shapes.public_user_json(self.urls, self.user_record(ident.login)))

    @serves("GET", "/users/{username}")
    def user_by_login(self, req: Request, username: str) -> Response:
        user = self.fixture.user(username)
        if user is None:
            raise HttpError(404, "Not Found")
        return Response(body=shapes.public_user_json(self.urls, user))
