"""PyGithub clients against a configurable GitHub (github.com, Enterprise, or the stand-in).

Authenticates with a personal token or as a GitHub App (JWT -> installation token, refreshed by
PyGithub). Retries rate-limit refusals (403 with Retry-After or a rate-limit message, 429) and
5xx with backoff, honouring `Retry-After`. Tokens reach git through an HTTP header passed in the
environment, never on a command line or in a URL.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cached_property

from github import Auth, Github, GithubRetry

from ..common.errors import UserFacingError
from ..common.settings import Settings
from .rest import GitHubRest
from .token_vault import Secret, TokenVault
from .writes import WriteBudget

TOKEN_NAME = "github_token"
APP_ID_NAME = "github_app_id"
APP_KEY_NAME = "github_app_private_key"


class CredentialsMissing(UserFacingError):
    pass


@dataclass(frozen=True)
class GitHubCredentials:
    token: Secret | None = None
    app_id: str | None = None
    app_private_key: Secret | None = None

    def __post_init__(self) -> None:
        if self.token is None and not (self.app_id and self.app_private_key):
            raise CredentialsMissing("GitHub credentials need a token, or an app id and private key")

    @classmethod
    def from_vault(cls, vault: TokenVault) -> "GitHubCredentials":
        if vault.has(TOKEN_NAME):
            return cls(token=vault.get(TOKEN_NAME))
        if vault.has(APP_ID_NAME) and vault.has(APP_KEY_NAME):
            return cls(app_id=vault.get(APP_ID_NAME).reveal(), app_private_key=vault.get(APP_KEY_NAME))
        raise CredentialsMissing(
            f"no GitHub credentials in {vault.path}: store `{TOKEN_NAME}` or `{APP_ID_NAME}` + `{APP_KEY_NAME}` "
            "(`techlead credentials --token-stdin`, or `techlead credentials --app-id ID --app-key-file KEY.pem`)"
        )

    def __repr__(self) -> str:
        return f"GitHubCredentials(kind={'app' if self.app_id else 'token'})"


def make_retry(settings: Settings) -> GithubRetry:
    return GithubRetry(
        total=settings.retry_total,
        backoff_factor=settings.retry_backoff,
        status_forcelist=[429, *range(500, 600)],  # GithubRetry adds 403 and inspects it
        connect=3,  # a GitHub that refuses connections is down: say so in seconds, not minutes
        backoff_max=60,
        # Reads only: a retried POST whose first answer was lost would post twice (github_api/writes.py).
        allowed_methods=frozenset({"GET", "HEAD", "OPTIONS"}),
        secondary_rate_wait=settings.secondary_rate_wait,
        max_rate_limit_wait=settings.max_rate_limit_wait,
    )


class GitHubAccess:
    """Everything that talks to one GitHub for one repository: REST client and git credentials."""

    def __init__(self, settings: Settings, credentials: GitHubCredentials, repo: str | None = None, notify=None):
        self.settings = settings
        self.credentials = credentials
        self.repo_name = repo
        self.notify = notify  # where pauses for the rate limit are announced (a Dagster run's log)
        self.write_budget = WriteBudget(settings.home / "state" / "github-writes.json", settings.writes_per_minute)

    def __repr__(self) -> str:
        return f"GitHubAccess({self.settings.github_api_url!r}, repo={self.repo_name!r})"

    def _client_kwargs(self) -> dict:
        s = self.settings
        return dict(
            base_url=s.github_api_url,
            per_page=100,
            timeout=30,
            retry=make_retry(s),
            seconds_between_requests=s.seconds_between_requests or None,
            seconds_between_writes=s.seconds_between_writes or None,
        )

    @cached_property
    def app(self):
        """The App itself (github_api/app.py), when these are App credentials."""
        from .app import AppClient

        c = self.credentials
        if c.app_id is None:
            raise CredentialsMissing("these are token credentials, not a GitHub App")
        return AppClient(self.settings, c.app_id, c.app_private_key.reveal())

    @cached_property
    def _auth(self) -> Auth.Auth:
        c = self.credentials
        if c.token is not None:
            return Auth.Token(c.token.reveal())
        if not self.repo_name:
            raise CredentialsMissing("a GitHub App acts per installation: name the repository")
        # One installation token per process and installation, renewed by PyGithub before it expires.
        return self.app.installation_auth(self.app.installation_for(self.repo_name))

    @cached_property
    def client(self) -> Github:
        return Github(auth=self._auth, **self._client_kwargs())

    @cached_property
    def rest(self) -> GitHubRest:
        """GitHub's answers as raw JSON (never PyGithub's lazily completed objects: see rest.py),
        pacing itself on the rate-limit headers."""
        s = self.settings
        return GitHubRest(
            self.client.requester, floor=s.rate_limit_floor, max_wait_s=s.max_rate_limit_wait, notify=self.notify
        )

    @cached_property
    def own_login(self) -> str:
        """Who the bot is on GitHub: the token's user, or the App's `<slug>[bot]` account. Only what this
        account wrote is the bot's own (markers in anybody else's text mean nothing)."""
        if self.credentials.token is not None:
            return self.rest.get("/user", "looking up the bot's own account")["login"]
        return f"{self.app.rest.get('/app', 'looking up the App')['slug']}[bot]"

    def current_token(self) -> Secret:
        auth = self._auth
        if isinstance(auth, Auth.Token):
            return Secret(auth.token)
        # Installation tokens expire after an hour; PyGithub refreshes on access.
        self.client  # noqa: B018 - binds the installation auth to a requester
        return Secret(auth.token)

    def git_config(self) -> dict[str, str]:
        """git config entries (for the environment) that authenticate fetches from this GitHub."""
        basic = base64.b64encode(f"x-access-token:{self.current_token().reveal()}".encode()).decode()
        return {"http.extraHeader": f"Authorization: Basic {basic}"}

    def clone_url(self, repo: str | None = None) -> str:
        return f"{self.settings.github_web_url.rstrip('/')}/{repo or self.repo_name}.git"

    def close(self) -> None:
        if "client" in self.__dict__:
            self.client.close()
