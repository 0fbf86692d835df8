"""The GitHub App as itself: its installations, the repositories each was given, installation
tokens (cached until they expire), and its webhook delivery log.

Everything here authenticates as the App (a JWT signed with its private key: PyGithub's AppAuth)
or as one installation (an installation token: PyGithub's AppInstallationAuth, which renews the
token before it expires). Tokens are cached per process and installation, so a sensor tick, a run
step or a review does not mint a new one each time.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Iterator

from github import Auth, Github, GithubException

from ..common.settings import Settings
from .rest import GitHubRest

log = logging.getLogger(__name__)
_LOCK = threading.Lock()
_INSTALLATION_AUTHS: dict[tuple[str, str, int], Auth.AppInstallationAuth] = {}
_REPO_INSTALLATIONS: dict[tuple[str, str, str], int] = {}


@dataclass(frozen=True)
class Installation:
    id: int
    account: str
    suspended: bool = False


class AppClient:
    def __init__(self, settings: Settings, app_id: str, private_key: str):
        from .client import make_retry

        self.settings = settings
        self.app_id = str(app_id)
        self._app_auth = Auth.AppAuth(int(app_id), private_key)
        self._kwargs = dict(base_url=settings.github_api_url, per_page=100, timeout=30, retry=make_retry(settings))
        self.rest = GitHubRest(Github(auth=self._app_auth, **self._kwargs).requester)

    # ------------------------------------------------------------------ installations
    def installations(self) -> list[Installation]:
        out = []
        for page in self.rest.pages("/app/installations", "listing the App's installations"):
            for inst in page:
                account = (inst.get("account") or {}).get("login") or ""
                out.append(Installation(int(inst["id"]), account, bool(inst.get("suspended_at"))))
        return out

    def installation_auth(self, installation_id: int) -> Auth.AppInstallationAuth:
        key = (self.settings.github_api_url, self.app_id, int(installation_id))
        with _LOCK:
            if key not in _INSTALLATION_AUTHS:
                _INSTALLATION_AUTHS[key] = self._app_auth.get_installation_auth(int(installation_id))
            return _INSTALLATION_AUTHS[key]

    def installation_rest(self, installation_id: int) -> GitHubRest:
        return GitHubRest(Github(auth=self.installation_auth(installation_id), **self._kwargs).requester)

    def installation_repositories(self, installation_id: int) -> list[str]:
        rest = self.installation_rest(installation_id)
        return [
            r["full_name"]
            for page in rest.pages(
                "/installation/repositories", "listing an installation's repositories", items_key="repositories"
            )
            for r in page
        ]

    def watched(self, previous: dict[str, int] | None = None) -> dict[str, int]:
        """Every repository some installation was given -> its installation (suspended ones left out).
        One installation that cannot be read (suspended or removed since the listing) costs only its
        own repositories, which keep what `previous` knew of them; the others are read as usual. The
        answer is also what `installation_for` knows from then on (an App reinstalled on a
        repository has a new installation: the old id, and its tokens, are no use)."""
        out: dict[str, int] = {}
        for inst in self.installations():
            if inst.suspended:
                continue
            try:
                repos = self.installation_repositories(inst.id)
            except GithubException as exc:
                log.warning("installation %s (%s) could not be read: HTTP %s", inst.id, inst.account, exc.status)
                repos = [r for r, i in (previous or {}).items() if i == inst.id]
            for repo in repos:
                out[repo] = inst.id
        self._forget(lambda repo, installation: True)
        self._remember(out)
        return out

    @property
    def _cache_prefix(self) -> tuple[str, str]:
        return (self.settings.github_api_url, self.app_id)

    def installation_for(self, repo: str) -> int:
        key = (*self._cache_prefix, repo.lower())
        with _LOCK:
            found = _REPO_INSTALLATIONS.get(key)
        if found is None:
            found = int(self.rest.get(f"/repos/{repo}/installation", f"finding the installation of {repo}")["id"])
            self._remember({repo: found})
        return found

    def learn(self, added: list[str], removed: list[str], installation_id: int | None) -> None:
        """What an `installation*` delivery says: these repositories now belong to `installation_id`,
        those no longer (`*`: every repository of the installation)."""
        gone = {r.lower() for r in removed}
        self._forget(lambda repo, installation: repo in gone or ("*" in gone and installation == installation_id))
        if installation_id:
            self._remember({repo: int(installation_id) for repo in added})

    def _forget(self, which) -> None:
        """Drops this App's remembered installations for which `which(repo, installation)` holds."""
        with _LOCK:
            for key, installation in list(_REPO_INSTALLATIONS.items()):
                if key[:2] == self._cache_prefix and which(key[2], installation):
                    del _REPO_INSTALLATIONS[key]

    def _remember(self, installations: dict[str, int]) -> None:
        with _LOCK:
            _REPO_INSTALLATIONS.update({(*self._cache_prefix, r.lower()): i for r, i in installations.items()})

    # ------------------------------------------------------------------ webhook deliveries
    def deliveries(self, max_pages: int = 10) -> Iterator[dict]:
        """The App's recent webhook deliveries, newest first (GitHub keeps them for a few days)."""
        for n, page in enumerate(self.rest.pages("/app/hook/deliveries", "listing webhook deliveries")):
            yield from page
            if n + 1 >= max_pages:
                return

    def redeliver(self, delivery_id: int) -> None:
        """Asks GitHub to send a delivery again (how a receiver recovers from downtime)."""
        self.rest.post(f"/app/hook/deliveries/{delivery_id}/attempts", {})
