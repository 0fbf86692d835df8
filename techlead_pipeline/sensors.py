"""Sensors: PR mentions become runs; finished runs leave no workspace behind."""
# No `from __future__ import annotations`: Dagster reads the context annotations.

import copy
import time

import dagster as dg
from github import GithubException, UnknownObjectException

from . import run_tags
from .assets.reviews import pr_review
from .assets.steps import TRAINING_CHAIN
from .github_api.writes import is_transient
from .mentions.claims import TAKEN_OVER, ReplyClaims
from .mentions.decide import MentionWork, decide_mention, issue_number_of
from .mentions.poll import MentionCursor, cursor_after, poll_comments
from .mentions.sources import (
    apply_installation,
    edit_brings_new_mention,
    recover_missed_deliveries,
    watched_repositories,
)
from .partitions import reviewer_repo, reviewer_repo_partitions
from .resources import PipelineSettings
from .reviews.post import find_existing_review
from .reviews.replies import post_reply
from .run_workspace import RunWorkspace, sweep_plaintext
from .safe_markdown import code_span
from .webhooks.store import DeliveryStore


def run_request(work: MentionWork) -> dg.RunRequest:
    """One run per mention comment: the run key is the comment's id, so a re-delivered or re-read
    comment never starts a second run."""
    keys = (*(TRAINING_CHAIN if work.train else ()), pr_review.key.to_user_string())
    return dg.RunRequest(
        run_key=f"mention-{work.mention_id}",
        partition_key=work.target.key,
        asset_selection=[dg.AssetKey(k) for k in keys],
        tags={
            run_tags.REPO: work.repo,
            run_tags.PULL: str(work.pull_number),
            run_tags.MENTION_ID: work.mention_id,
            run_tags.REQUESTED_BY: work.commenter,
            run_tags.REVIEWER: work.target.reviewer,
            run_tags.FORCE_RELOAD: str(work.force_reload).lower(),
            "techlead/gpu": "train" if work.train else "serve",
            # A run whose worker crashed is retried from the start: its steps hand each other data
            # in the run's own workspace, which a retry from the failed step would not have.
            "dagster/retry_strategy": "ALL_STEPS",
            # Run monitoring fails a run that outlives this (a hung step, a stuck GPU).
            "dagster/max_runtime": str(TRAIN_MAX_RUNTIME_S if work.train else REVIEW_MAX_RUNTIME_S),
        },
        run_config={
            "ops": {
                "pr_review": {
                    "config": {"pull_number": work.pull_number, "mention_id": work.mention_id, "full": work.full}
                }
            }
        },
    )


FINISHED_OK = {dg.DagsterRunStatus.SUCCESS}
FINISHED_BAD = {dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
TRAIN_MAX_RUNTIME_S = 4 * 3600
REVIEW_MAX_RUNTIME_S = 1800
# A backstop only: a waiting mention follows its training run (and that run's retry) to the end,
# and run monitoring ends any run within TRAIN_MAX_RUNTIME_S.
WAIT_LIMIT_S = TRAIN_MAX_RUNTIME_S + 1800


def _run_status(instance: dg.DagsterInstance, run_key: str):
    """The status of the run started for `run_key`, followed through its automatic retries: a
    failed run that Dagster is about to retry is not finished, and its retry's status is its own."""
    runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/run_key": run_key}), limit=1)
    if not runs:
        return None
    run = runs[0]
    retries = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/root_run_id": run.run_id}), limit=1)
    latest = retries[0] if retries else run
    if latest.status == dg.DagsterRunStatus.FAILURE and latest.tags.get("dagster/will_retry") == "true":
        return dg.DagsterRunStatus.QUEUED  # its retry is on the way
    return latest.status


def _to_waiting(work: MentionWork) -> dict:
    """A mention held in the cursor until its reviewer's training run ends (see release_waiting)."""
    return {
        "comment_id": work.comment_id,
        "repo": work.repo,
        "pull_number": work.pull_number,
        "commenter": work.commenter,
        "reviewer": work.target.reviewer,
        "partition": work.target.key,
        "source": work.source,
        "ask": work.ask,
        "full": work.full,
        "since": time.time(),
    }


def _from_waiting(item: dict, train: bool) -> MentionWork:
    return MentionWork(
        "run",
        item["comment_id"],
        item["repo"],
        item["pull_number"],
        item["commenter"],
        target=reviewer_repo(item["reviewer"], item["repo"]),
        train=train,
        source=item.get("source", "issue"),
        ask=item.get("ask", ""),
        full=bool(item.get("full", False)),
    )


def release_waiting(context: dg.SensorEvaluationContext, cursor: MentionCursor, store) -> list[dg.RunRequest]:
    """Mentions that arrived while their reviewer was being learned run once that training ends:
    review only after a success, their own training run (and so their own reply) after a failure."""
    requests, still = [], []
    for item in cursor.waiting:
        run_key = cursor.training.get(item["partition"])
        status = _run_status(context.instance, run_key) if run_key else dg.DagsterRunStatus.FAILURE
        target = reviewer_repo(item["reviewer"], item["repo"])
        if status in FINISHED_OK and store.current(target) is not None:
            requests.append(run_request(_from_waiting(item, train=False)))
        elif status in FINISHED_BAD or time.time() - item["since"] > WAIT_LIMIT_S:
            requests.append(run_request(_from_waiting(item, train=True)))
        else:
            still.append(item)
    cursor.waiting = still
    waited_for = {i["partition"] for i in still}
    cursor.training = {
        p: k
        for p, k in cursor.training.items()
        if p in waited_for or _run_status(context.instance, k) not in FINISHED_OK | FINISHED_BAD
    }
    return requests


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
        if all(_from_waiting(w, True).mention_id != work.mention_id for w in cursor.waiting):
            cursor.waiting.append(_to_waiting(work))
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
        description="Turns `@tech-lead-bot USER [--force-reload]` comments on pull requests of the "
        "configured repositories into runs (one per comment).",
    )
    def pr_mentions(context: dg.SensorEvaluationContext, pipeline: PipelineSettings) -> dg.SensorResult:
        return evaluate_mentions(context, pipeline)

    return pr_mentions


def _workspace_cleanup(status: dg.DagsterRunStatus) -> dg.SensorDefinition:
    @dg.run_status_sensor(
        run_status=status,
        name=f"workspace_cleanup_on_{status.value.lower()}",
        monitor_all_code_locations=False,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def cleanup(context: dg.RunStatusSensorContext, pipeline: PipelineSettings):
        """A failed or canceled run's encrypted workspace is deleted at once (the steps delete it
        too; this catches runs whose process died)."""
        settings = pipeline.settings()
        RunWorkspace(settings.workspaces_dir, context.dagster_run.run_id, "_", pipeline.vault().fernet).purge()

    return cleanup


workspace_cleanup_on_failure = _workspace_cleanup(dg.DagsterRunStatus.FAILURE)
workspace_cleanup_on_canceled = _workspace_cleanup(dg.DagsterRunStatus.CANCELED)


def answer_failed_run(instance: dg.DagsterInstance, run: dg.DagsterRun, pipeline: PipelineSettings) -> bool:
    """A run for a mention that ended failed and will not be retried gets one reply, unless a step
    already gave one (a step that fails answers for itself; a killed one cannot). Returns whether
    a reply was posted."""
    run = instance.get_run_by_id(run.run_id) or run  # the retry daemon's verdict is a tag added late
    tags = run.tags
    repo, pull, mention = tags.get(run_tags.REPO), tags.get(run_tags.PULL), tags.get(run_tags.MENTION_ID)
    if not (repo and pull and mention) or tags.get("dagster/will_retry") == "true":
        return False
    access = pipeline.github(repo)
    if find_existing_review(access, repo, int(pull), mention) is not None:
        return False  # it died after posting its review: the mention is answered
    body = (
        f"Sorry, I could not finish this: the run doing it stopped unexpectedly (run {code_span(run.run_id[:8])}). "
        "The maintainers can see why in Dagster; a new mention will try again."
    )
    return post_reply(access, repo, int(pull), body, mention_id=mention)


@dg.run_failure_sensor(
    name="mention_run_failed",
    monitor_all_code_locations=False,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
)
def mention_run_failed(context: dg.RunFailureSensorContext, pipeline: PipelineSettings):
    """Every mention gets an answer: a run killed outright (OOM, SIGKILL, its worker found dead by
    run monitoring) and not retried is answered here."""
    answer_failed_run(context.instance, context.dagster_run, pipeline)
