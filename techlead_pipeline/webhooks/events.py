"""What a webhook delivery means to the bot, as a small record the mention sensor can act on.

Only what deciding needs is kept (ids, bodies, logins, addresses, repository and installation
names): never a review comment's `diff_hunk`, which is source code.

| event                          | actions              | record kind                 |
| ------------------------------ | -------------------- | --------------------------- |
| `issue_comment`                | created, edited      | `comment` (source `issue`)  |
| `pull_request_review_comment`  | created, edited      | `comment` (source `rc`)     |
| `pull_request_review`          | submitted, edited    | `comment` (source `review`) |
| `installation`                 | created, deleted, suspend, unsuspend, ... | `installation` |
| `installation_repositories`    | added, removed       | `installation`              |
| `ping`                         |                      | `ping`                      |

Anything else is `ignored`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

COMMENT_ACTIONS = {
    "issue_comment": {"created", "edited"},
    "pull_request_review_comment": {"created", "edited"},
    "pull_request_review": {"submitted", "edited"},
}
SOURCES = {"issue_comment": "issue", "pull_request_review_comment": "rc", "pull_request_review": "review"}


@dataclass
class DeliveryRecord:
    kind: str  # comment, installation, ping, ignored
    event: str
    action: str | None = None
    repo: str | None = None
    installation_id: int | None = None
    comment: dict | None = None  # id, body, user, html_url, issue_url, created_at, updated_at
    issue: dict | None = None  # number, pull_request (the shape decide_mention reads)
    source: str = "issue"  # which kind of comment: issue, rc (inline review comment), review
    previous_body: str | None = None  # an edit's old body
    repos_added: list[str] = field(default_factory=list)
    repos_removed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "DeliveryRecord":
        return cls(**data)


def _user(obj: dict | None) -> dict | None:
    return None if not obj else {"login": obj.get("login"), "type": obj.get("type")}


def _pull_number(url: str) -> int:
    return int(url.rstrip("/").rsplit("/", 1)[-1])


def record_for(event: str, payload: dict) -> DeliveryRecord:
    action = payload.get("action")
    repo = (payload.get("repository") or {}).get("full_name")
    installation = (payload.get("installation") or {}).get("id")
    base = dict(event=event, action=action, repo=repo, installation_id=installation)
    if event == "ping":
        return DeliveryRecord("ping", **base)
    if event in COMMENT_ACTIONS:
        if action not in COMMENT_ACTIONS[event]:
            return DeliveryRecord("ignored", **base)
        return _comment_record(event, payload, base)
    if event == "installation":
        repos = [r["full_name"] for r in payload.get("repositories") or [] if r.get("full_name")]
        if action in ("created", "unsuspend", "new_permissions_accepted"):
            return DeliveryRecord("installation", **base, repos_added=repos)
        if action in ("deleted", "suspend"):
            return DeliveryRecord("installation", **base, repos_removed=repos or ["*"])
        return DeliveryRecord("ignored", **base)
    if event == "installation_repositories":
        return DeliveryRecord(
            "installation",
            **base,
            repos_added=[r["full_name"] for r in payload.get("repositories_added") or []],
            repos_removed=[r["full_name"] for r in payload.get("repositories_removed") or []],
        )
    return DeliveryRecord("ignored", **base)


def _comment_record(event: str, payload: dict, base: dict) -> DeliveryRecord:
    source = SOURCES[event]
    item = payload["review"] if event == "pull_request_review" else payload["comment"]
    previous = ((payload.get("changes") or {}).get("body") or {}).get("from")
    repo_api = (payload.get("repository") or {}).get("url") or ""
    if event == "issue_comment":
        issue = payload.get("issue") or {}
        number = int(issue.get("number") or _pull_number(item["issue_url"]))
        issue_record = {"number": number, "pull_request": bool(issue.get("pull_request"))}
        issue_url = item.get("issue_url") or f"{repo_api}/issues/{number}"
    else:
        pull = payload.get("pull_request") or {}
        number = int(pull.get("number") or _pull_number(item["pull_request_url"]))
        issue_record = {"number": number, "pull_request": True}  # review comments live on pull requests only
        issue_url = f"{repo_api}/issues/{number}"
    comment = {
        "id": int(item["id"]),
        "body": item.get("body") or "",
        "user": _user(item.get("user")),
        "html_url": item.get("html_url"),
        "issue_url": issue_url,
        "created_at": item.get("created_at") or item.get("submitted_at"),
        "updated_at": item.get("updated_at") or item.get("submitted_at") or item.get("created_at"),
    }
    return DeliveryRecord("comment", **base, comment=comment, issue=issue_record, source=source, previous_body=previous)
