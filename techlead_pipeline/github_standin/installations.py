"""What the App's owners do on the stand-in's GitHub: install it, give and take repositories,
uninstall, suspend; and the webhook deliveries those changes and users' comments send."""

from __future__ import annotations

from .fixture import RepoState
from .rooms.app import AppRoom
from .rooms.issues import IssuesRoom
from .rooms.pulls import PullsRoom
from .rooms.review_comments import ReviewCommentsRoom
from .rooms.reviews import ReviewsRoom


class AppInstallations:
    """Mixed into GitHubStandin (server.py), whose fixture, rooms and hooks it uses."""

    # ------------------------------------------------------------------ the App's webhooks
    def configure_webhooks(self, url: str | None, secret: str | None) -> None:
        """Where the App's webhooks go (GitHub: the App's settings page), and the secret that signs them."""
        self.hooks.configure(url, secret)

    def installation_of(self, state: RepoState) -> tuple[dict, dict] | None:
        for app in self.fixture.apps:
            for inst in app.get("installations", []):
                if not inst.get("suspended_at") and state.full_name.lower() in {r.lower() for r in inst["repos"]}:
                    return app, inst
        return None

    def _event_base(self, state: RepoState, sender: str) -> tuple[dict, int | None]:
        room = self.rooms[IssuesRoom]
        found = self.installation_of(state)
        base = {"repository": room.repo_obj(state), "sender": room.user(sender)}
        if found:
            base["installation"] = {"id": found[1]["id"], "node_id": f"MDIz{found[1]['id']}"}
        return base, found[1]["id"] if found else None

    def _comment_event(self, state: RepoState, record: dict, action: str, changes: dict | None = None) -> None:
        if not self.hooks.enabled or self.installation_of(state) is None:
            return
        room = self.rooms[IssuesRoom]
        base, installation = self._event_base(state, record["user"] or "ghost")
        payload = {
            "action": action,
            "issue": room.issue_obj(state, state.pulls[record["issue_number"]]),
            "comment": room.comment_objs(state, [record])[0],
            **base,
        }
        if changes:
            payload["changes"] = changes
        self.hooks.send("issue_comment", payload, installation, state.meta.get("id"))

    def _review_events(self, state: RepoState, review: dict, comments: list[dict]) -> None:
        if not self.hooks.enabled or self.installation_of(state) is None:
            return
        pulls, reviews = self.rooms[PullsRoom], self.rooms[ReviewsRoom]
        base, installation = self._event_base(state, review["user"])
        pull = pulls.pull_obj(state, state.pulls[review["pull_number"]])
        for c in comments:
            comment = self.rooms[ReviewCommentsRoom].objs(state, [c])[0]
            payload = {"action": "created", "comment": comment, "pull_request": pull, **base}
            self.hooks.send("pull_request_review_comment", payload, installation, state.meta.get("id"))
        payload = {"action": "submitted", "review": reviews.review_obj(state, review), "pull_request": pull, **base}
        self.hooks.send("pull_request_review", payload, installation, state.meta.get("id"))

    def add_repository_to_installation(self, repo: str, installation_id: int | None = None) -> None:
        """The App's owner gives it one more repository (GitHub sends `installation_repositories`)."""
        self._installation_repos(repo, installation_id, "added")

    def remove_repository_from_installation(self, repo: str, installation_id: int | None = None) -> None:
        self._installation_repos(repo, installation_id, "removed")

    def install(self, repos: list[str], account: str | None = None) -> int:
        """The App installed (again) on `repos`: a new installation, with a new id, as on GitHub."""
        app = self.fixture.apps[0]
        with self.fixture.lock:
            new_id = max([i["id"] for i in app["installations"]] + [0]) + 1
            inst = {"id": new_id, "account": account or repos[0].split("/")[0], "repos": list(repos)}
            app["installations"].append(inst)
        self._installation_event(app, inst, "created", repos)
        return new_id

    def uninstall(self, installation_id: int) -> None:
        """The App uninstalled: the installation and its tokens are gone (GitHub sends `installation` deleted)."""
        app = self.fixture.apps[0]
        with self.fixture.lock:
            inst = next(i for i in app["installations"] if i["id"] == installation_id)
            app["installations"].remove(inst)
            for token in [t for t, v in self.installation_tokens.items() if v["installation"] is inst]:
                del self.installation_tokens[token]
        self._installation_event(app, inst, "deleted", inst["repos"])

    def suspend(self, installation_id: int) -> None:
        """An owner suspends the installation: listed with `suspended_at`, its tokens refused with 403."""
        app = self.fixture.apps[0]
        inst = next(i for i in app["installations"] if i["id"] == installation_id)
        inst["suspended_at"] = "2026-01-01T00:00:00Z"
        self._installation_event(app, inst, "suspend", inst["repos"])

    def _installation_event(self, app: dict, inst: dict, action: str, repos: list[str]) -> None:
        if not self.hooks.enabled:
            return
        listed = [_listed(self.repo_state(name)) for name in repos]
        room = self.rooms[AppRoom]
        payload = {
            "action": action,
            "installation": room.installation_obj(app, inst),
            "repositories": listed,
            "requester": None,
            "sender": room.user(app.get("owner", "")),
        }
        self.hooks.send("installation", payload, inst["id"], None)

    def _installation_repos(self, repo: str, installation_id: int | None, action: str) -> None:
        state = self.repo_state(repo)
        app = self.fixture.apps[0]
        inst = next(i for i in app["installations"] if installation_id is None or i["id"] == installation_id)
        with self.fixture.lock:
            names = [r for r in inst["repos"] if r.lower() != state.full_name.lower()]
            inst["repos"] = names + ([state.full_name] if action == "added" else [])
        if not self.hooks.enabled:
            return
        room = self.rooms[AppRoom]
        listed = _listed(state)
        payload = {
            "action": action,
            "installation": room.installation_obj(app, inst),
            "repository_selection": "selected",
            "repositories_added": [listed] if action == "added" else [],
            "repositories_removed": [listed] if action == "removed" else [],
            "requester": None,
            "sender": room.user(app.get("owner", "")),
        }
        self.hooks.send("installation_repositories", payload, inst["id"], None)


def _listed(state: RepoState) -> dict:
    """A repository as installation deliveries list it."""
    rid = state.meta.get("id", 1)
    return {
        "id": rid,
        "node_id": f"R_{rid}",
        "name": state.name,
        "full_name": state.full_name,
        "private": bool(state.meta.get("private")),
    }
