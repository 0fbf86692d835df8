"""Where mentions come from, and which repositories are watched.

* **Webhook deliveries** (webhooks/), read back in arrival order through the same decisions as
  polled comments. An edited comment counts only when the edit brings a new mention.
* **Installations.** With App credentials the watched repositories are those the App's
  installations were given: kept up to date by `installation*` deliveries and read again from
  GitHub every `TECHLEAD_INSTALLATIONS_REFRESH_S`. `TECHLEAD_REPOSITORIES`, when set, narrows them. With a
  token, `TECHLEAD_REPOSITORIES` is the list.
* **Polling** (poll.py) stays for token mode and as the fallback that catches what no delivery
  brought; a comment seen both ways is handled once (its run key, its reply's marker).
* **Missed deliveries.** GitHub keeps a log of the App's deliveries; every `TECHLEAD_REDELIVERY_CHECK_S`
  (and on the first tick) every delivery whose GUID is not stored is asked for again
  (`POST /app/hook/deliveries/{id}/attempts`): GitHub's documented recovery from downtime.
"""

from __future__ import annotations

import logging
import time

from .parse import parse_mention
from .poll import MentionCursor

log = logging.getLogger(__name__)
REDELIVERY_MEMORY_S = 6 * 3600  # a delivery asked for again is not asked for again within this


def edit_brings_new_mention(record, bot_login: str) -> bool:
    """An edit is news only when what it asks differs from what the comment asked before."""
    if record.action != "edited" or record.previous_body is None:
        return True
    return parse_mention(record.comment["body"], bot_login) != parse_mention(record.previous_body, bot_login)


def apply_installation(cursor: MentionCursor, record, app=None) -> None:
    """What an `installation*` delivery changes: the watched repositories, and which installation
    the App (`app`, when there is one) asks for each one's token."""
    if app is not None:
        app.learn(record.repos_added, record.repos_removed, record.installation_id)
    for repo in record.repos_added:
        cursor.installed[repo] = int(record.installation_id or 0)
    for repo in record.repos_removed:
        if repo == "*":  # the whole installation went away
            cursor.installed = {r: i for r, i in cursor.installed.items() if i != record.installation_id}
        else:
            cursor.installed.pop(repo, None)


def watched_repositories(cursor: MentionCursor, settings, app=None, now: float | None = None):
    """The repositories to act on: the App's (refreshed when due), narrowed by `TECHLEAD_REPOSITORIES`
    if set; without an App, `TECHLEAD_REPOSITORIES`."""
    now = time.time() if now is None else now
    configured = settings.repositories
    if app is None:
        return list(configured)
    if now - cursor.installations_checked_at >= settings.installations_refresh_s:
        cursor.installed = dict(app.watched(previous=cursor.installed))
        cursor.installations_checked_at = now
    wanted = {r.lower() for r in configured}
    return sorted(r for r in cursor.installed if not wanted or r.lower() in wanted)


def recover_missed_deliveries(app, store, cursor: MentionCursor, settings, now: float | None = None) -> int:
    """Asks GitHub again for every recent delivery that never reached the store; returns how many."""
    now = time.time() if now is None else now
    if now - cursor.redelivery_checked_at < settings.redelivery_check_s:
        return 0
    newest: dict[str, dict] = {}
    for delivery in app.deliveries():
        newest.setdefault(delivery["guid"], delivery)  # newest first: the first seen is the latest attempt
    stored = store.known(list(newest))
    asked = 0
    for guid, delivery in newest.items():
        recent = cursor.redelivered.get(guid, 0.0) > now - REDELIVERY_MEMORY_S
        if guid in stored or recent or _age(delivery, now) < settings.redelivery_grace_s:
            continue
        app.redeliver(delivery["id"])
        cursor.redelivered[guid] = now
        asked += 1
    cursor.redelivered = {g: t for g, t in cursor.redelivered.items() if t > now - REDELIVERY_MEMORY_S}
    cursor.redelivery_checked_at = now
    if asked:
        log.info("asked GitHub to redeliver %d missed webhook deliveries", asked)
    return asked


def _age(delivery: dict, now: float) -> float:
    from datetime import datetime

    try:
        when = datetime.fromisoformat(str(delivery.get("delivered_at")).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return float("inf")
    return now - when
