"""The mention sensor: webhook deliveries and polled comments become runs (one per mention)."""
# No `from __future__ import annotations`: Dagster reads the context annotations.

import copy
import time

import dagster as dg
from github import GithubException, UnknownObjectException

from ...common.partitions import reviewer_repo_partitions
from ...common.run_workspace import sweep_plaintext
from ...github_api.writes import is_transient
from ...mentions.claims import TAKEN_OVER, ReplyClaims
from ...mentions.decide import decide_mention, issue_number_of
from ...mentions.poll import MentionCursor, cursor_after, poll_comments
from ...mentions.sources import (
    apply_installation,
    edit_brings_new_mention,
    recover_missed_deliveries,
    watched_repositories,
)
from ...reviews.replies import post_reply
from ...webhooks.store import DeliveryStore
from ..resources import PipelineSettings
from .run_requests import from_waiting, release_waiting, run_request, to_waiting


class GitHubLookups:
    """What deciding a mention asks GitHub, asked once per login and tick (raw JSON, see rest.py)."""

    def __init__(self, access, repo: str):
        self.access, self.repo = access, repo
        self._permissions: dict[str, str] = {}
        self._users: dict[str, bool] = {}

    def permission_of(self, login: str) -> str:
        if login not in self._permissions:
            try:
                found = self.access.rest.get(
                    f"/repos/{self.repo}/collaborators/{login}/permission", f"checking what {login} may do"
                )
                self._permissions[login] = found.get("permission") or "none"
            except UnknownObjectException:
                self._permissions[login] = "none"
        return self._permissions[login]

    def user_exists(self, login: str) -> bool:
        if login not in self._users:
            try:
                self.access.rest.get(f"/users/{login}", f"looking up {login}")
                self._users[login] = True
            except UnknownObjectException:
                self._users[login] = False
        return self._users[login]


def handle_comment(
    tick, cursor: MentionCursor, settings, store, access, repo: str, comment: dict, issue=None, source="issue"
):
    """What one comment starts: a reply now, a run request, or a place in the queue of a training run."""
    key = (source, int(comment["id"]), comment.get("body"))
    if key in tick.handled:  # brought by a webhook and by the poll in the same tick
        return None
    tick.handled.add(key)
    lookups = tick.lookups_for(repo, access)
    work = decide_mention(
        comment,
        repo,
        settings.bot_login,
        permission_of=lookups.permission_of,
        user_exists=lookups.user_exists,
        is_cached=lambda t: store.current(t) is not None,
        issue=issue,
        source=source,
    )
    if work.kind == "reply":  # posted after the tick's run requests are made (post_queued_replies)
        if all(r["mention_id"] != work.mention_id for r in cursor.replies):
            number = work.pull_number or issue_number_of(comment)
            cursor.replies.append(
                {"repo": repo, "number": number, "body": work.reply, "mention_id": work.mention_id, "kind": "refusal"}
            )
        return None
    if work.kind != "run":
        return None
    tick.partitions.append(work.target.key)
    partition = work.target.key
    if work.train and not work.force_reload and partition in cursor.training:
        # Already being learned (this tick or earlier): review once that training is done.
        if all(from_waiting(w, True).mention_id != work.mention_id for w in cursor.waiting):
            cursor.waiting.append(to_waiting(work))
        tick.log.info(f"mention {work.mention_id}: waits for the training of {work.target}")
        return None
    request = run_request(work)
    if work.train:
        cursor.training[partition] = request.run_key
    tick.log.info(
        f"mention {work.mention_id} on {repo}#{work.pull_number}: "
        f"{'train and review' if work.train else 'review'} for {work.target}"
    )
    return request


class _Tick:
    """What one evaluation collects while it reads comments, and its time budget."""

    def __init__(self, log, budget_s: float, pipeline: PipelineSettings):
        self.log = log
        self.pipeline = pipeline
        self.partitions: list[str] = []
        self.handled: set = set()
        self._lookups: dict[str, GitHubLookups] = {}
        self._access: dict[str, object] = {}
        self.started = time.monotonic()
        self.budget_s = budget_s

    def reading_time_left(self) -> bool:
        return time.monotonic() - self.started < 0.75 * self.budget_s

    def replies_deadline(self, has_runs: bool) -> float:
        """Refusals get the rest of the budget, but a tick that starts runs ends soon so they start."""
        end = self.started + self.budget_s
        return min(end, time.monotonic() + 10.0) if has_runs else end

    def access(self, repo: str):
        """One GitHub access per repository and tick (each reads the vault and, as an App, its token)."""
        if repo not in self._access:
            self._access[repo] = self.pipeline.github(repo)
        return self._access[repo]

    def lookups_for(self, repo: str, access) -> "GitHubLookups":
        if repo not in self._lookups:
            self._lookups[repo] = GitHubLookups(access, repo)
        return self._lookups[repo]


def _guarded(context, tick, action, what: str) -> tuple[object, bool]:
    """(result, GitHub away?) of `action`: one odd comment must never stop the sensor for everyone."""
    try:
        return action(), False
    except Exception as exc:  # noqa: BLE001 - classified just below
        if is_transient(exc):
            context.log.warning(f"{what}: GitHub is away ({exc}); retrying next tick")
            return None, True
        if isinstance(exc, GithubException) and exc.status == 401:
            # Our credentials, not this comment: a revoked installation token, a rotated key. Skipping
            # would lose the mention; it is tried again next tick, with the installation looked up afresh.
            context.log.error(f"{what}: GitHub refused the bot's credentials (401); retrying next tick")
            return None, True
        context.log.error(f"{what}: skipped ({type(exc).__name__}: {exc})")
        return None, False


LATE_COMMIT_S = 10.0  # how long a missing row number may still be a delivery about to commit


def drain_deliveries(context, settings, cursor, store, tick, watched: set[str], requests: list, app=None) -> None:
    """Stored webhook deliveries, in arrival order; the cursor moves past each one handled.

    Row numbers are handed out when a receiver starts writing, not when it commits: with two
    receivers on PostgreSQL, row 102 can be visible before row 101 is. A missing number followed by
    a recent row is therefore waited for (the next tick reads from it); one followed by a row older
    than LATE_COMMIT_S is a number PostgreSQL burned (a duplicate delivery's failed insert) and is
    passed."""
    now = time.time()
    for stored in DeliveryStore(context.instance).after(cursor.delivery_row):
        if not tick.reading_time_left():
            tick.log.warning("the tick's time is spent; the remaining deliveries are read next tick")
            return
        if stored.row_id != cursor.delivery_row + 1 and now - stored.received_at < LATE_COMMIT_S:
            return  # row(s) before it may still commit: read from here next tick
        record = stored.record
        if record.kind == "installation":
            apply_installation(cursor, record, app)
            watched.update(r for r in record.repos_added if _wanted(settings, r))
            watched.difference_update(record.repos_removed)
        elif (
            record.kind == "comment" and record.repo in watched and edit_brings_new_mention(record, settings.bot_login)
        ):
            access = tick.access(record.repo)
            request, away = _guarded(
                context,
                tick,
                lambda r=record, a=access: handle_comment(
                    tick, cursor, settings, store, a, r.repo, r.comment, r.issue, r.source
                ),
                f"delivery {stored.delivery_id} ({record.repo})",
            )
            if away:
                if app is not None:
                    app.learn([], [record.repo], None)  # its installation is looked up afresh
                return  # this delivery is handled next tick, from here
            if request is not None:
                requests.append(request)
        cursor.delivery_row = stored.row_id


def _wanted(settings, repo: str) -> bool:
    return not settings.repositories or repo.lower() in {r.lower() for r in settings.repositories}


def evaluate_mentions(context: dg.SensorEvaluationContext, pipeline: PipelineSettings) -> dg.SensorResult:
    settings = pipeline.settings()
    removed = sweep_plaintext(settings.workspaces_dir)
    if removed:
        context.log.warning(f"removed the scratch folders of {removed} step(s) whose process died")
    cursor = MentionCursor.load(context.cursor)
    store = pipeline.adapter_store()
    requests = release_waiting(context, cursor, store)
    tick = _Tick(context.log, settings.sensor_budget_s, pipeline)
    app = pipeline.app_client()
    watched_list, away = _guarded(
        context, tick, lambda: watched_repositories(cursor, settings, app), "reading installations"
    )
    if watched_list is None:  # GitHub away: the installations as last known
        watched_list = list(cursor.installed) if app else list(settings.repositories)
    watched = set(watched_list)
    drain_deliveries(context, settings, cursor, store, tick, watched, requests, app)
    for repo in sorted(watched):
        if not tick.reading_time_left():
            break  # the repositories left are polled next tick
        access = tick.access(repo)
        repo_cursor = cursor.for_repo(repo, settings.mention_lookback_s)
        before = copy.deepcopy(repo_cursor)
        try:
            polled = poll_comments(access, repo, repo_cursor)
        except Exception as exc:  # noqa: BLE001 - one repository must not stop the others
            context.log.warning(f"could not poll {repo}: {type(exc).__name__}: {exc}")
            cursor.repos[repo] = before
            continue
        for n, comment in enumerate(polled.comments):
            if not tick.reading_time_left():
                cursor.repos[repo] = cursor_after(before, polled.comments[:n])
                context.log.warning(
                    f"{repo}: the tick's time is spent; {len(polled.comments) - n} comment(s) are read next tick"
                )
                break
            request, away = _guarded(
                context,
                tick,
                lambda c=comment, a=access, r=repo: handle_comment(tick, cursor, settings, store, a, r, c),
                f"{repo}: comment {comment.get('id')}",
            )
            if away:  # read this repository again next tick from this comment on
                cursor.repos[repo] = cursor_after(before, polled.comments[:n])
                break
            if request is not None:
                requests.append(request)
    if app is not None:
        _guarded(
            context,
            tick,
            lambda: recover_missed_deliveries(app, DeliveryStore(context.instance), cursor, settings),
            "recovering missed deliveries",
        )
    post_queued_replies(context, tick, cursor, tick.replies_deadline(bool(requests)))
    new = sorted(
        {k for k in tick.partitions if not context.instance.has_dynamic_partition(reviewer_repo_partitions.name, k)}
    )
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[reviewer_repo_partitions.build_add_request(new)] if new else [],
        cursor=cursor.dump(),
    )


def post_queued_replies(context, tick: _Tick, cursor: MentionCursor, deadline: float) -> int:
    """Posts queued refusals, oldest first, until `deadline` or the tick's share of writes is spent;
    the rest wait in the cursor. Each is claimed first (mentions/claims.py), so evaluations that
    overlap never both post one. Returns how many were posted."""
    settings = tick.pipeline.settings()
    claims = ReplyClaims(context.instance)
    queue, cursor.replies, posted = list(cursor.replies), [], 0
    for n, item in enumerate(queue):
        access = tick.access(item["repo"])
        budget = access.write_budget
        if (
            time.monotonic() >= deadline
            or posted >= settings.refusals_per_tick
            or budget.used() >= budget.per_minute * settings.refusal_write_share
        ):
            cursor.replies = queue[n:]
            context.log.info(f"{len(cursor.replies)} refusal(s) wait for the next tick")
            break
        mention, kind = item["mention_id"], item["kind"]
        claim = claims.claim(mention, kind)
        if claim is None:
            continue  # another evaluation is answering it, or has
        try:
            post_reply(
                access,
                item["repo"],
                int(item["number"]),
                item["body"],
                mention_id=mention,
                kind=kind,
                look_first=claim == TAKEN_OVER,
            )
        except Exception as exc:  # noqa: BLE001 - classified just below
            claims.release(mention, kind)
            if is_transient(exc):
                context.log.warning(f"replying to mention {mention}: GitHub is away ({exc}); retrying next tick")
                cursor.replies = queue[n:]
                break
            context.log.error(f"replying to mention {mention}: dropped ({type(exc).__name__}: {exc})")
            continue
        claims.finish(mention, kind)
        posted += 1
    return posted


def make_mention_sensor(job) -> dg.SensorDefinition:
    @dg.sensor(
        name="pr_mentions",
        job=job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Turns `@tech-lead-bot USER [--force-reload] [--full]` comments on pull requests of the "
        "configured repositories into runs (one per comment).",
    )
    def pr_mentions(context: dg.SensorEvaluationContext, pipeline: PipelineSettings) -> dg.SensorResult:
        return evaluate_mentions(context, pipeline)

    return pr_mentions
