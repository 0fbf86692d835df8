"""Reviewing a pull request (or a local diff) end to end, with timings per stage."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable

from ..adapters.store import AdapterBundle
from ..common.partitions import ReviewerRepo
from ..common.safe_markdown import code_span, sanitize_comment
from ..diffs.patch import FileChange
from ..github_api.client import GitHubAccess
from .anchors import Anchor, anchor_at, changed_lines, commentable, is_valid, number_on_side, side_of
from .backends.base import CUT_OFF, ReviewerBackend, Suggestion, Unreviewed, in_order_of_confidence
from .backends.choose import BACKENDS, NoAdapterError, make_backend, served_bundle  # noqa: F401 (the service's API)
from .backends.silent import SilentBackend
from .backends.where_placed import WhereListBackend
from .fit import fit
from .floor import floor_reason
from .hunks import PreparedReview, prepare
from .incremental import ReviewScope, review_scope
from .lessons import Lessons
from .post import DraftComment, PostedReview, post_review, pull_reviews
from .pull_request import GITHUB_FILES_CAP, load_pull_request
from .repeats import said_once
from .replies import post_reply
from .said_before import SaidBefore, earlier_bot_comments

log = logging.getLogger(__name__)


@dataclass
class ReviewOutcome:
    backend: str
    comments: list[DraftComment]
    hunks: int
    skipped: list[str]
    timings: dict[str, float] = field(default_factory=dict)
    posted: PostedReview | None = None
    summary: str = ""
    declined: str | None = None  # why there was nothing to review (the reply posted instead)
    selection: "Selection | None" = None  # what was left out (said before, open threads, over the cap)
    scope: ReviewScope | None = None  # which hunks were looked at
    earlier: SaidBefore | None = None  # the bot's comments on the pull request before this review
    commentable: set | None = None  # every (path, side, line) the pull request's diff offers
    below_floor: dict = field(default_factory=dict)  # drafts that did not read as a review, by reason
    changed: set | None = None  # every (path, side, line) the pull request adds or removes

    @property
    def changed_line_share(self) -> float | None:
        """Of the comments it posts, the share on a line the pull request changed (the rest sit on
        unchanged code: only for a lead whose history shows she comments there)."""
        if not self.comments or self.changed is None:
            return None
        on = sum((c.anchor.path, c.anchor.side, c.anchor.line) in self.changed for c in self.comments)
        return round(on / len(self.comments), 4)

    def as_records(self) -> list[dict]:
        return [
            {"path": c.anchor.path, "line": c.anchor.line, "side": c.anchor.side, "body": c.body} for c in self.comments
        ]


WRITE_BUDGET_PER_COMMENT = 3  # drafts a review writes at most per comment it may post (the surest hunks first)
UNCHANGED_CODE_HABIT = 0.25  # a lead with at least this share of comments on unchanged lines reviews them


def comments_on_unchanged_code(bundle: AdapterBundle) -> bool:
    """Whether the lead, by her history, comments on code the pull request did not change: by default
    (and with too little history to tell) that code is not this pull request's business."""
    habits = bundle.manifest.get("habits") or {}
    share, counted = habits.get("unchanged_line_share"), habits.get("comments_counted") or 0
    return share is not None and counted >= 10 and share >= UNCHANGED_CODE_HABIT


def review_changes(
    changes: list[FileChange],
    new_file_text: Callable[[str], str | None],
    backend: ReviewerBackend,
    secrets: tuple[str, ...] = (),
    scope: ReviewScope | None = None,
    comments_on_unchanged_code: bool = False,
    enough: Callable[[list[DraftComment]], bool] | None = None,
    write_budget: int | None = None,
) -> tuple[list[DraftComment], PreparedReview, dict]:
    """Drafts for the hunks of `changes` that `scope` covers (all of them by default), in diff order.
    `comments_on_unchanged_code`: the lead does (habits_of): a draft about an unchanged line of the
    hunk is posted there instead of left out. `enough(drafts)`: whether the drafts so far fill the
    review; a backend that writes as it is read (the surest places first) then writes no more, and the
    hunks it would still have written on are counted (`prepared.unwritten`); so are they once
    `write_budget` drafts were written (an adapter whose drafts the floor and the fit keep dropping
    would otherwise write on every hunk it chose, at half a second a draft on a CPU)."""
    timings = {}
    t = time.perf_counter()
    prepared = prepare(changes, new_file_text)
    if hasattr(backend, "see_pull"):  # a where-model reads the pull request's size from all its hunks
        backend.see_pull(prepared.hunks)
    if scope is not None and not scope.whole_diff:
        prepared.hunks = [h for h in prepared.hunks if scope.covers(h.chunk)]
    timings["prepare_s"] = time.perf_counter() - t
    t = time.perf_counter()
    drafts: list[tuple[int, DraftComment]] = []
    results = in_order_of_confidence(backend, prepared.hunks)
    lazy = hasattr(backend, "review_in_order")
    read = written = 0
    for index, suggestion in results:
        read += 1
        # what cost a draft's writing: a comment, or one cut off at the length limit
        written += isinstance(suggestion, Suggestion) or (
            isinstance(suggestion, Unreviewed) and suggestion.reason == CUT_OFF
        )
        hunk = prepared.hunks[index]
        if isinstance(suggestion, Unreviewed):
            lines = [ln.new_no or ln.old_no for ln in hunk.chunk.changed]
            prepared.skipped.append(
                f"{code_span(hunk.chunk.path)} lines {min(lines)}–{max(lines)}: {suggestion.reason}"
            )
            continue
        if suggestion is None:
            continue
        draft = _draft(hunk, suggestion, prepared, secrets, comments_on_unchanged_code)
        if draft is not None:
            drafts.append((index, draft))
        full = draft is not None and enough is not None and enough([d for _, d in drafts])
        if lazy and (full or (write_budget is not None and written >= write_budget)):
            break  # what is left are places it would speak (silences come first): unwritten
    results.close()
    prepared.unwritten = len(prepared.hunks) - read
    timings["model_s"] = time.perf_counter() - t
    return [d for _, d in sorted(drafts, key=lambda d: d[0])], prepared, timings


def _draft(hunk, suggestion, prepared: PreparedReview, secrets, comments_on_unchanged_code: bool):
    """The comment a suggestion becomes, or None where the floor or the fit drops it (counted)."""
    # Judged as written, before the sanitiser (which drops a suggestion block it would misplace).
    below = floor_reason(suggestion.body, [suggestion.candidate.line.text])
    where = f"{hunk.chunk.path}:{suggestion.candidate.focus_line}"
    if below:
        prepared.below_floor.add(below, where, suggestion.body)
        return None
    candidate = suggestion.candidate
    placed = fit(suggestion.body, candidate.focus_line, _window(candidate), _changed(hunk, candidate.side))
    # A lead who comments on unchanged code gets it on the line it is about (if in the hunk's lines).
    context = Anchor(hunk.chunk.path, placed.line, candidate.side) if placed.reason == "pre-existing" else None
    if placed.reason and not (comments_on_unchanged_code and context and is_valid(context, hunk.chunk)):
        prepared.below_floor.add(placed.reason, where, suggestion.body)
        return None
    if context is not None:
        anchor = context
    elif placed.line is None:
        anchor = hunk.anchor(candidate)
    else:
        anchor = _anchor_on(hunk, candidate.side, placed.line)
    body = sanitize_comment(suggestion.body, secrets)
    if body and is_valid(anchor, hunk.chunk):
        return DraftComment(anchor, body, suggestion.score, key=suggestion.candidate.key)
    return None


def _window(candidate) -> dict[int, str]:
    return {candidate.start_line + i: text for i, text in enumerate(candidate.code.split("\n"))}


def _changed(hunk, side: str) -> set[int]:
    lines = hunk.chunk.added if side == "RIGHT" else hunk.chunk.removed
    return {number_on_side(ln, side) for ln in lines}


def _anchor_on(hunk, side: str, number: int):
    line = next(ln for ln in hunk.chunk.changed if side_of(ln) == side and number_on_side(ln, side) == number)
    return anchor_at(hunk.chunk, line)


@dataclass
class Selection:
    """Which drafts a review posts: none already said on the pull request, at most `cap`, the most
    confident first (then in diff order); what was left out is counted for the summary."""

    posted: list[DraftComment]
    said_before: list[DraftComment] = field(default_factory=list)
    open_threads: list[DraftComment] = field(default_factory=list)
    held_back: list[DraftComment] = field(default_factory=list)
    cap: int = 0
    turned_down_files: list[DraftComment] = field(default_factory=list)  # on a file the lead turned the bot down on
    turned_down_code: list[DraftComment] = field(default_factory=list)  # on code like where she said no
    repeats: list[DraftComment] = field(default_factory=list)  # asked the same as a comment kept (repeats.py)
    unwritten: int = 0  # hunks it would have spoken on, not written: the review was already full

    @property
    def turned_down(self) -> list[DraftComment]:
        return self.turned_down_files + self.turned_down_code


def select_drafts(drafts: list[DraftComment], said: SaidBefore, cap: int, lessons: Lessons | None = None) -> Selection:
    selection = Selection([], cap=cap)
    fresh = []
    lesson_of = lessons.why_left_out(drafts) if lessons is not None else [None] * len(drafts)
    for draft, lesson in zip(drafts, lesson_of):
        if lesson:
            (selection.turned_down_files if lesson == "turned-down file" else selection.turned_down_code).append(draft)
            continue
        why = said.why_dropped(draft.anchor.path, draft.anchor.side, draft.anchor.line, draft.body)
        (selection.said_before if why == "said before" else selection.open_threads if why else fresh).append(draft)
    fresh, selection.repeats = said_once(fresh)
    ranked = sorted(range(len(fresh)), key=lambda i: (fresh[i].confidence is None, -(fresh[i].confidence or 0.0), i))
    keep = set(ranked[: max(cap, 0)])
    selection.posted = [d for i, d in enumerate(fresh) if i in keep]
    selection.held_back = [d for i, d in enumerate(fresh) if i not in keep]
    return selection


def _left_out(selection: Selection, reviewer: str) -> list[str]:
    lines = []
    if selection.turned_down_files:
        files = ", ".join(code_span(p) for p in dict.fromkeys(d.anchor.path for d in selection.turned_down_files))
        n = len(selection.turned_down_files)
        lines.append(
            f"Left out {n} comment{'s' if n != 1 else ''} on {files}: {code_span(reviewer)} turned my comments "
            "there down (👎 or a reply that disagreed) and has not commented there since, so I no longer do."
        )
    for drafts, why in (
        (selection.turned_down_code, f"on code like where {code_span(reviewer)} turned my comments down"),
        (selection.said_before, "already said on this pull request"),
        (selection.open_threads, "my earlier comment on that line is still open"),
        (selection.repeats, "the same ask as another comment of this review, which names them"),
    ):
        if drafts:
            where = ", ".join(code_span(f"{d.anchor.path}:{d.anchor.line}") for d in drafts[:10])
            lines.append(f"Left out {len(drafts)} comment{'s' if len(drafts) != 1 else ''} ({why}): {where}.")
    if selection.held_back:
        n = len(selection.held_back)
        lines.append(
            f"{n} more comment{'s' if n != 1 else ''} held back: at most {selection.cap} per review, "
            "the ones I was surest of first."
        )
    if selection.unwritten:
        n = selection.unwritten
        lines.append(
            f"{n} more hunk{'s' if n != 1 else ''} I would have commented on left unwritten: at most "
            f"{selection.cap} comments per review (and {WRITE_BUDGET_PER_COMMENT * max(selection.cap, 1)} drafts "
            "written for them), the ones I was surest of first."
        )
    return lines


def summary_text(
    target: ReviewerRepo,
    bundle: AdapterBundle,
    backend: str,
    drafts: list,
    hunks: int,
    skipped: list[str],
    notes: list[str] = (),
) -> str:
    learned = bundle.manifest.get("dataset", {}).get("train_comments") or bundle.manifest.get("retrieval", {}).get(
        "comments"
    )
    if backend == SilentBackend.name:
        lines = [
            f"**I have not learned {code_span(target.reviewer)}'s way of reviewing in this repository well enough "
            f"yet** to comment in their name, so I left no comment on the {hunks} hunk{'s' if hunks != 1 else ''} "
            f"I read. I learned from {learned or 'too few'} of their review comments (adapter `{bundle.version}`).",
            bundle.manifest.get("serving_note") or "",
            "Mention me with `--force-reload` once they have reviewed more here.",
        ]
        return "\n\n".join(line for line in lines if line)
    if backend == WhereListBackend.name:  # where she would look, no words in her mouth (the ranked note)
        lines = [
            f"**Where {code_span(target.reviewer)} would look** — learned from {learned or 'their'} review comments "
            f"in this repository (adapter `{bundle.version}`). I read {hunks} hunk{'s' if hunks != 1 else ''} and "
            "post no line comment in their name."
        ]
    else:
        lines = [
            f"**Review in the style of {code_span(target.reviewer)}** — learned from {learned or 'their'} review "
            f"comments in this repository (`{backend}` backend, adapter `{bundle.version}`).",
            f"{len(drafts)} comment{'s' if len(drafts) != 1 else ''} on {hunks} hunk{'s' if hunks != 1 else ''}; "
            f"the rest looked fine in their eyes.",
        ]
    lines += list(notes)
    if bundle.manifest.get("serving_note"):
        lines.append(bundle.manifest["serving_note"])
    if skipped:
        lines.append("Not reviewed: " + "; ".join(skipped[:10]) + ("; …" if len(skipped) > 10 else "") + ".")
    return "\n\n".join(lines)


def where_list_row(bundle: AdapterBundle) -> dict:
    """What the where-model's ranked list was measured at on the held-out pull requests."""
    return ((bundle.manifest.get("evaluation") or {}).get("hunks") or {}).get("where-model (ranked list)") or {}


def nothing_to_review(pull) -> str | None:
    """The short answer for a pull request there is no point reviewing, or None."""
    if pull.merged:
        return f"Pull request #{pull.number} is already merged: there is nothing left to review."
    if pull.state == "closed":
        return f"Pull request #{pull.number} is closed: reopen it and mention me again if it still needs a review."
    if not pull.changes and not pull.unlisted_files:
        return f"Pull request #{pull.number} changes no files yet: there is nothing to review."
    return None


def review_pull_request(
    access: GitHubAccess,
    target: ReviewerRepo,
    number: int,
    backend: ReviewerBackend,
    bundle: AdapterBundle,
    mention_id: str,
    post: bool = True,
    secrets: tuple[str, ...] = (),
    full: bool = False,
) -> ReviewOutcome:
    """`full`: every hunk, not only what changed since the bot's last review of this pull request."""
    started = time.perf_counter()
    pull = load_pull_request(access, target.repo, number)
    fetch_s = time.perf_counter() - started
    declined = nothing_to_review(pull)
    if declined:
        if post:
            post_reply(access, target.repo, number, declined, mention_id=mention_id, kind="reply")
        timings = {"fetch_s": round(fetch_s, 3), "total_s": round(time.perf_counter() - started, 3)}
        return ReviewOutcome(backend.name, [], 0, [], timings, declined=declined)
    scope = review_scope(access, target.repo, pull.head_sha, pull_reviews(access, target.repo, number), full)
    earlier = earlier_bot_comments(access, target.repo, number)
    lessons = Lessons.of_bundle(bundle)
    cap = access.settings.comment_cap(target.repo)
    if hasattr(backend, "cap"):  # a where-model flags at most the review's cap
        backend.cap = cap
    drafts, prepared, timings = review_changes(
        pull.changes,
        pull.new_file_text,
        backend,
        secrets + (access.current_token().reveal(),),
        scope,
        comments_on_unchanged_code=comments_on_unchanged_code(bundle),
        # Written the surest first: once `cap` of them would be posted, no more are written.
        enough=lambda so_far: len(select_drafts(so_far, earlier, cap, lessons).posted) >= cap,
        write_budget=WRITE_BUDGET_PER_COMMENT * max(cap, 1),
    )
    selection = select_drafts(drafts, earlier, cap, lessons)
    selection.unwritten = prepared.unwritten
    drafts = selection.posted
    for draft in drafts:
        draft.voice = target.reviewer
    timings = {"fetch_s": fetch_s, **timings}
    if pull.unlisted_files:
        prepared.skipped.insert(  # first: the summary names only the first ten reasons
            0, f"{pull.unlisted_files} more files: GitHub lists only the first {GITHUB_FILES_CAP:,} of a pull request"
        )
    notes = ([scope.note] if scope.note else []) + _left_out(selection, target.reviewer)
    if prepared.below_floor.sentence():
        notes.append(prepared.below_floor.sentence())
    if hasattr(backend, "ranked_note"):
        notes.append(backend.ranked_note(target.reviewer, where_list_row(bundle)))
    summary = summary_text(target, bundle, backend.name, drafts, len(prepared.hunks), prepared.skipped, notes)
    outcome = ReviewOutcome(
        backend.name, drafts, len(prepared.hunks), prepared.skipped, timings, summary=summary, selection=selection
    )
    outcome.scope, outcome.earlier, outcome.commentable = scope, earlier, commentable(pull.changes)
    outcome.changed = changed_lines(pull.changes)
    outcome.below_floor = prepared.below_floor.as_dict()
    if post:
        t = time.perf_counter()
        outcome.posted = post_review(access, target.repo, number, pull.head_sha, drafts, summary, mention_id)
        timings["post_s"] = time.perf_counter() - t
    timings["total_s"] = time.perf_counter() - started
    outcome.timings = {k: round(v, 3) for k, v in timings.items()}
    return outcome
