"""GitHub reads retried where urllib3 cannot help.

PyGithub's GithubRetry (see client.py) already retries 5xx, 429 and rate-limit 403s. A connection
reset, a truncated body or a timeout happens after urllib3 has handed the response over, so reads
are retried here, and every way of giving up becomes one GitHubUnavailableError a user can read.
"""

from __future__ import annotations

import logging
import time
from typing import Callable, TypeVar

import requests
from github import RateLimitExceededException
from github.GithubException import RateLimitExceededExceedsMaxWait

from ..common.errors import GitHubUnavailableError

log = logging.getLogger(__name__)
T = TypeVar("T")

# Broken connections and cut-off bodies: worth another try, for reads and (checked) writes alike.
NETWORK_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.Timeout,
)


def with_transient_retry(what: str, call: Callable[[], T], attempts: int = 4, base_wait: float = 0.5) -> T:
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except NETWORK_ERRORS as exc:
            if attempt == attempts:
                raise GitHubUnavailableError(what, f"connection kept failing: {type(exc).__name__}") from exc
            wait = base_wait * 2 ** (attempt - 1)
            log.warning("transient error while %s (%s); retrying in %.1fs", what, type(exc).__name__, wait)
            time.sleep(wait)
        except requests.exceptions.RetryError as exc:  # urllib3 already retried (5xx, 429, 403)
            raise GitHubUnavailableError(what, "it kept answering with errors") from exc
        except RateLimitExceededExceedsMaxWait as exc:
            raise GitHubUnavailableError(what, f"rate limited for {exc.wait:.0f}s more") from exc
        except RateLimitExceededException as exc:
            raise GitHubUnavailableError(what, "rate limit exceeded") from exc
    raise AssertionError("unreachable")
