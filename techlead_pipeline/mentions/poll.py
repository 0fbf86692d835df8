"""Polling a repository's pull-request conversation for new comments, cheaply.

One call per repository and poll: the repo-wide issue-comments endpoint, `since` the newest
comment seen (sorted by update time), with the previous answer's ETag when that answer was a
single page. An idle repository answers 304 Not Modified, which GitHub does not charge against the
rate limit. Comments already handled at
the boundary timestamp (`since` is inclusive) are remembered and skipped, by id *and* update time:
an edited comment comes back with a new `updated_at` and is read again, whichever comment it is
(what it may start is decided as for a new one, and its run key is still its id).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone

from ..common.errors import GitHubUnavailableError
from ..github_api.client import GitHubAccess
from ..github_api.reads import with_transient_retry
from ..github_api.rest import next_link

MAX_PAGES = 10


@dataclass
class RepoCursor:
    since: str
    etag: str | None = None
    seen: list[str] = field(default_factory=list)  # "id@updated_at" of comments handled at `since`


@dataclass
class MentionCursor:
    repos: dict[str, RepoCursor]
    training: dict[str, str] = field(default_factory=dict)  # partition -> run key of its training run
    waiting: list[dict] = field(default_factory=list)  # mentions waiting for that training run
    delivery_row: int = 0  # the last webhook delivery handled (webhooks/store.py row number)
    installed: dict[str, int] = field(default_factory=dict)  # App mode: repository -> installation id
    installations_checked_at: float = 0.0
    redelivery_checked_at: float = 0.0
    redelivered: dict[str, float] = field(default_factory=dict)  # delivery GUID -> when we asked again
    replies: list[dict] = field(default_factory=list)  # refusals decided, not yet posted (sensors.py)

    @classmethod
    def load(cls, raw: str | None) -> "MentionCursor":
        data = json.loads(raw) if raw else {}
        return cls(
            {repo: RepoCursor(**c) for repo, c in data.get("repos", {}).items()},
            dict(data.get("training", {})),
            list(data.get("waiting", [])),
            int(data.get("delivery_row", 0)),
            {k: int(v) for k, v in data.get("installed", {}).items()},
            float(data.get("installations_checked_at", 0.0)),
            float(data.get("redelivery_checked_at", 0.0)),
            {k: float(v) for k, v in data.get("redelivered", {}).items()},
            list(data.get("replies", [])),
        )

    def dump(self) -> str:
        return json.dumps(
            {
                "repos": {r: asdict(c) for r, c in self.repos.items()},
                "training": self.training,
                "waiting": self.waiting,
                "delivery_row": self.delivery_row,
                "installed": self.installed,
                "installations_checked_at": self.installations_checked_at,
                "redelivery_checked_at": self.redelivery_checked_at,
                "redelivered": self.redelivered,
                "replies": self.replies,
            },
            sort_keys=True,
        )

    def for_repo(self, repo: str, lookback_s: int, now: datetime | None = None) -> RepoCursor:
        if repo not in self.repos:  # a new repository: act on recent mentions only, never on old history
            start = (now or datetime.now(timezone.utc)) - timedelta(seconds=lookback_s)
            self.repos[repo] = RepoCursor(since=start.strftime("%Y-%m-%dT%H:%M:%SZ"))
        return self.repos[repo]


def seen_key(comment: dict) -> str:
    return f"{comment['id']}@{comment.get('updated_at') or comment.get('created_at')}"


def cursor_after(before: RepoCursor, handled: list[dict]) -> RepoCursor:
    """The cursor of a poll that stopped after `handled` (a prefix of what it returned, oldest
    first): the next poll returns the rest, and nothing handled comes back."""
    if not handled:
        return before
    since = max(c["updated_at"] for c in handled)
    seen = {seen_key(c) for c in handled if c["updated_at"] == since}
    if since == before.since:
        seen |= {str(k) for k in before.seen}
    return RepoCursor(since=since, etag=None, seen=sorted(seen))


@dataclass
class PollResult:
    comments: list[dict]
    not_modified: bool
    requests: int


def poll_comments(access: GitHubAccess, repo: str, cursor: RepoCursor) -> PollResult:
    """New comments since the cursor (oldest first); updates the cursor in place."""
    requester = access.client.requester
    url = f"/repos/{repo}/issues/comments"
    params = {"since": cursor.since, "sort": "updated", "direction": "asc", "per_page": 100}
    headers = {"If-None-Match": cursor.etag} if cursor.etag else {}
    comments: list[dict] = []
    requests = 0
    etag = None
    more = False
    for page in range(1, MAX_PAGES + 1):
        status, response_headers, body = with_transient_retry(
            f"polling comments of {repo}",
            lambda: requester.requestJson(
                "GET", url, parameters={**params, "page": page}, headers=headers if page == 1 else {}
            ),
        )
        requests += 1
        if status == 304:
            return PollResult([], True, requests)
        if status != 200:
            raise GitHubUnavailableError(f"polling comments of {repo}", f"HTTP {status}")
        if page == 1:
            etag = {k.lower(): v for k, v in response_headers.items()}.get("etag")
        comments.extend(json.loads(body))
        more = next_link(response_headers) is not None  # a short page may still have more after it
        if not more:
            break
    seen = {str(k) for k in cursor.seen}
    fresh = [c for c in comments if seen_key(c) not in seen]
    if comments:
        newest = max(c["updated_at"] for c in comments)
        boundary = {seen_key(c) for c in comments if c["updated_at"] == newest}
        cursor.seen = sorted(boundary | (seen if newest == cursor.since else set()))
        cursor.since = newest
    # An ETag speaks for its page only: a first page stays the same while newer comments land on the
    # next one, so a 304 for it would hide them. Keep it only when the answer was one page.
    cursor.etag = etag if requests == 1 and not more else None
    return PollResult(fresh, False, requests)
