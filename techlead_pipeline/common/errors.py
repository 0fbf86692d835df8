"""Errors a user can act on, shared by every stage. Their messages are safe to post on a pull request as they are:
what they echo (logins, repository names) is shown as inline code."""

from .safe_markdown import code_span


class UserFacingError(Exception):
    """An error whose message is a complete sentence meant for the person who asked."""


class UnknownReviewerError(UserFacingError):
    def __init__(self, login: str):
        super().__init__(f"I can't find a GitHub user called {code_span(login)}. Check the spelling of the login.")
        self.login = login


class NotAReviewerError(UserFacingError):
    def __init__(self, login: str, reason: str):
        super().__init__(f"{code_span(login)} can't be learned from: {reason}.")
        self.login = login


class NoReviewHistoryError(UserFacingError):
    def __init__(self, login: str, repo: str, found: int = 0, needed: int = 1):
        if found == 0:
            msg = (
                f"{code_span(login)} has not left any review comments in {code_span(repo)}, "
                "so there is no style to learn from."
            )
        else:
            msg = (
                f"{code_span(login)} has only {found} usable review comment{'s' if found != 1 else ''} "
                f"in {code_span(repo)}; "
                f"I need at least {needed} to learn their style."
            )
        super().__init__(msg)
        self.login, self.repo, self.found, self.needed = login, repo, found, needed


class UnknownRepositoryError(UserFacingError):
    def __init__(self, repo: str):
        super().__init__(
            f"I can't see the repository {code_span(repo)}: it does not exist or the bot has no access to it."
        )
        self.repo = repo


class GitHubUnavailableError(UserFacingError):
    def __init__(self, what: str, detail: str):
        super().__init__(f"GitHub did not answer while {what} ({detail}). Please try again later.")
