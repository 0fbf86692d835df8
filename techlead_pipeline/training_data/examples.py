"""Builds the training examples of one (reviewer, repo) and splits them by time.

Kept: the reviewer's top-level comments on other people's pull requests, with code context.
Dropped, with the reason counted: replies, bots, empty or emoji-only bodies, comments on the
reviewer's own pull requests, exact duplicates, and comments without readable code. Changed
lines of reviewed pull requests the reviewer read and left alone become NO_COMMENT examples.
Other reviewers' comments are built the same way and marked `role = "other"`: the evaluation's
contrast set.
The newest ~10 % of pull requests are held out, and at least 6 (a quarter, where she has fewer than
24) once she has commented on 12 or more: fewer cannot tell a system that finds her hunks from one
that guesses. Nothing of theirs is trained on. The next newest
~10 % are the validation split: not trained on either, it is where settings are chosen (the
speak-or-stay-silent threshold of a generative backend), so nothing is tuned on the held-out split.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from ..history.code_context import anchor_text, on_unchanged_line
from .comment_text import is_empty_or_emoji, one_line
from .keys import key_from_window
from .prompts import NO_COMMENT, system_prompt, user_prompt

EXAMPLE_COLUMNS = [
    "example_id",
    "role",
    "kind",
    "user",
    "pull_number",
    "chunk_id",
    "created_at",
    "path",
    "language",
    "side",
    "focus_line",
    "comment_id",
    "system",
    "prompt",
    "key",
    "response",
    "split",
    "source",  # history (what the lead wrote or passed over) or feedback (her verdict on the bot's comment)
    # A comment: whether it sat on an unchanged line of its diff (code the pull request did not touch).
    "unchanged_line",
    # The whole chunk (diff text) the row belongs to and its file's status, on every row with a
    # `chunk_id`: what the where-model reads of a hunk (where/features.py).
    "hunk_text",
    "file_status",
]


def unchanged_line_share(examples: pd.DataFrame) -> tuple[float | None, int]:
    """(share of the lead's training comments that sat on unchanged lines, comments counted)."""
    if "unchanged_line" not in examples:
        return None, 0
    mine = examples[(examples["role"] == "target") & (examples["kind"] == "comment") & (examples["split"] == "train")]
    known = mine["unchanged_line"].dropna()
    return (round(float(known.astype(bool).mean()), 4) if len(known) else None), int(len(known))


@dataclass
class ExampleSet:
    examples: pd.DataFrame
    dropped: Counter = field(default_factory=Counter)

    @property
    def target(self) -> pd.DataFrame:
        return self.examples[self.examples["role"] == "target"]

    def split(self, name: str, role: str = "target", kind: str | None = None) -> pd.DataFrame:
        df = self.examples[(self.examples["split"] == name) & (self.examples["role"] == role)]
        return df if kind is None else df[df["kind"] == kind]

    def counts(self) -> dict:
        t = self.target
        return {
            "train_examples": int((t["split"] == "train").sum()),
            "holdout_examples": int((t["split"] == "holdout").sum()),
            "train_comments": int(((t["split"] == "train") & (t["kind"] == "comment")).sum()),
            "holdout_comments": int(((t["split"] == "holdout") & (t["kind"] == "comment")).sum()),
            "train_no_comment": int(((t["split"] == "train") & (t["kind"] == "no_comment")).sum()),
            "holdout_prs": int(t[t["split"] == "holdout"]["pull_number"].nunique()),
            "validation_examples": int((t["split"] == "validation").sum()),
            "train_prs": int(t[t["split"] == "train"]["pull_number"].nunique()),
            "other_reviewer_examples": int((self.examples["role"] == "other").sum()),
            "feedback_examples": int((t.get("source", pd.Series(dtype=str)) == "feedback").sum()),
        }

    def fingerprint(self) -> str:
        """Identifies the training data without revealing it (goes into the adapter manifest)."""
        t = self.target.sort_values("example_id")
        digest = hashlib.sha256()
        for row in t[["example_id", "prompt", "response", "split"]].itertuples(index=False):
            digest.update(json.dumps(list(row)).encode())
        return digest.hexdigest()[:32]


def _example_id(*parts) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:16]


def build_examples(
    comments: pd.DataFrame,
    contexts: pd.DataFrame,
    pull_chunks: pd.DataFrame | None,
    authored_prs: list[int],
    reviewer: str,
    repo: str,
    *,
    holdout_fraction: float = 0.1,
    validation_fraction: float = 0.1,
    feedback: pd.DataFrame | None = None,
) -> ExampleSet:
    """`feedback`: the bot's comments in this reviewer's voice that the lead judged (history/feedback.py:
    columns of a comment, plus `verdict`), read as her examples (see feedback_examples)."""
    dropped: Counter = Counter()
    reviewer_l = reviewer.lower()
    ctx = contexts.set_index("comment_id") if len(contexts) else contexts
    rows = []
    seen: set[tuple] = set()
    pr_author_self = set(authored_prs)
    chunk_of_comment = {}
    chunk_texts: dict[str, tuple[str, str]] = {}
    if pull_chunks is not None and len(pull_chunks):
        for row in pull_chunks[pull_chunks["level"] == "chunk"].itertuples(index=False):
            chunk_of_comment.update({int(cid): row.chunk_id for cid in row.comment_ids})
            chunk_texts[row.chunk_id] = (getattr(row, "chunk_text", None), getattr(row, "file_status", None))
    for c in comments.sort_values(["created_at", "id"]).to_dict("records"):
        role = "target" if c["user"].lower() == reviewer_l else "other"
        reason = None
        if not pd.isna(c["in_reply_to_id"]):
            reason = "reply"
        elif c.get("user_type") == "Bot" or c["user"].endswith("[bot]"):
            reason = "bot"
        elif is_empty_or_emoji(c["body"]) or not one_line(c["body"]):
            reason = "empty_or_emoji"
        elif role == "target" and c["pull_number"] in pr_author_self:
            reason = "own_pull_request"
        if reason is None:
            key = (c["user"].lower(), c["body"].strip(), c["path"], c["original_line"], c["original_commit_id"])
            if key in seen:
                reason = "duplicate"
            seen.add(key)
        context = ctx.loc[c["id"]] if reason is None and c["id"] in ctx.index else None
        if reason is None and (context is None or context["status"] == "binary" or not context["code"]):
            reason = "no_code_context"
        if reason:
            if role == "target":
                dropped[reason] += 1
            continue
        focus = None if pd.isna(context["focus_line"]) else int(context["focus_line"])
        start = None if pd.isna(context["start_line"]) else int(context["start_line"])
        prompt = user_prompt(
            c["path"], context["language"], c["diff_hunk"], context["code"], start, focus, c["side"] or "RIGHT"
        )
        key = key_from_window(context["code"], start, focus, anchor_text(c["diff_hunk"], c["side"]) or "")
        rows.append(
            {
                "example_id": _example_id("c", c["id"]),
                "role": role,
                "kind": "comment",
                "user": c["user"],
                "pull_number": int(c["pull_number"]),
                "chunk_id": chunk_of_comment.get(int(c["id"])),
                "created_at": c["created_at"],
                "path": c["path"],
                "language": context["language"],
                "side": c["side"] or "RIGHT",
                "focus_line": focus,
                "comment_id": int(c["id"]),
                "prompt": prompt,
                "key": key,
                "response": one_line(c["body"]),
                "unchanged_line": on_unchanged_line(c["diff_hunk"]),
            }
        )
        rows[-1]["hunk_text"], rows[-1]["file_status"] = chunk_texts.get(rows[-1]["chunk_id"], (None, None))
    if pull_chunks is not None and len(pull_chunks):
        pr_time = comments.groupby("pull_number")["created_at"].min()
        silent = pull_chunks[(pull_chunks["level"] == "line") & ~pull_chunks["commented"]]
        for ch in silent.to_dict("records"):
            start = None if pd.isna(ch["start_line"]) else int(ch["start_line"])
            prompt = user_prompt(
                ch["path"], ch["language"], ch["hunk"], ch["code"], start, int(ch["focus_line"]), ch["side"]
            )
            key = key_from_window(ch["code"], start, int(ch["focus_line"]), anchor_text(ch["hunk"], ch["side"]) or "")
            rows.append(
                {
                    "example_id": _example_id("n", ch["pull_number"], ch["path"], ch["focus_line"], ch["side"]),
                    "role": "target",
                    "kind": "no_comment",
                    "user": reviewer,
                    "pull_number": int(ch["pull_number"]),
                    "chunk_id": ch["chunk_id"],
                    "created_at": pr_time.get(ch["pull_number"]),
                    "path": ch["path"],
                    "language": ch["language"],
                    "side": ch["side"],
                    "focus_line": int(ch["focus_line"]),
                    "comment_id": None,
                    "prompt": prompt,
                    "key": key,
                    "response": NO_COMMENT,
                    "hunk_text": ch.get("chunk_text"),
                    "file_status": ch.get("file_status"),
                }
            )
    df = pd.DataFrame(rows, columns=[c for c in EXAMPLE_COLUMNS if c not in ("system", "split", "source")])
    df["system"] = system_prompt(reviewer, repo)
    df["split"] = time_split(df, holdout_fraction, validation_fraction)
    df["source"] = "history"
    if feedback is not None and len(feedback):
        df = pd.concat([df, feedback_examples(feedback, ctx, df, reviewer, repo, dropped)], ignore_index=True)
    df["focus_line"] = df["focus_line"].astype("Int64")
    df["comment_id"] = df["comment_id"].astype("Int64")
    df["unchanged_line"] = df["unchanged_line"].astype("boolean")
    return ExampleSet(df[EXAMPLE_COLUMNS].reset_index(drop=True), dropped)


def feedback_examples(
    feedback: pd.DataFrame, ctx: pd.DataFrame, examples: pd.DataFrame, reviewer: str, repo: str, dropped: Counter
) -> pd.DataFrame:
    """The lead's verdicts on the bot's comments as training examples: her 👎 (or a reply that
    disagrees) makes the hunk a silence, her 👍 makes the comment one of hers. Training only, and
    never on a pull request of the validation or held-out split: what is measured stays her own
    words on code no example came from."""
    measured = set(examples[(examples["split"] != "train")]["pull_number"])
    rows = []
    for c in feedback.to_dict("records"):
        context = ctx.loc[c["id"]] if len(ctx) and c["id"] in ctx.index else None
        if context is None or context["status"] == "binary" or not context["code"]:
            dropped["feedback_no_code_context"] += 1
            continue
        if int(c["pull_number"]) in measured:
            dropped["feedback_on_measured_pull_request"] += 1
            continue
        focus = None if pd.isna(context["focus_line"]) else int(context["focus_line"])
        start = None if pd.isna(context["start_line"]) else int(context["start_line"])
        side = c["side"] or "RIGHT"
        positive = c["verdict"] == "positive"
        rows.append(
            {
                "example_id": _example_id("f", c["id"]),
                "role": "target",
                "kind": "comment" if positive else "no_comment",
                "user": reviewer,
                "pull_number": int(c["pull_number"]),
                "chunk_id": None,
                "created_at": pd.Timestamp(c["created_at"]),
                "path": c["path"],
                "language": context["language"],
                "side": side,
                "focus_line": focus,
                "comment_id": None,
                "system": system_prompt(reviewer, repo),
                "prompt": user_prompt(
                    c["path"], context["language"], c["diff_hunk"], context["code"], start, focus, side
                ),
                "key": key_from_window(context["code"], start, focus, anchor_text(c["diff_hunk"], side) or ""),
                "response": one_line(c["body"]) if positive else NO_COMMENT,
                "split": "train",
                "source": "feedback",
            }
        )
    out = pd.DataFrame(rows, columns=EXAMPLE_COLUMNS)
    out["focus_line"] = out["focus_line"].astype("Int64")
    out["comment_id"] = out["comment_id"].astype("Int64")
    return out


MIN_PULLS_FOR_WIDE_HOLDOUT = 12
WIDE_HOLDOUT = 6


def time_split(df: pd.DataFrame, holdout_fraction: float, validation_fraction: float = 0.0) -> pd.Series:
    """By the reviewer's pull requests, ordered by their first comment: the newest `holdout_fraction`
    are held out, the `validation_fraction` before them validate, the rest train. Other reviewers'
    comments from a later period go with that period."""
    target = df[(df["role"] == "target") & (df["kind"] == "comment")]
    order = list(target.groupby("pull_number")["created_at"].min().sort_values().index)
    n = len(order)
    n_hold = min(n - 1, max(1, math.ceil(n * holdout_fraction))) if n > 1 else 0
    if n >= MIN_PULLS_FOR_WIDE_HOLDOUT:  # enough to decide on: at least 6, or a quarter of hers
        n_hold = max(n_hold, min(WIDE_HOLDOUT, math.ceil(n / 4)))
    n_val = min(n - 1 - n_hold, max(1, math.ceil(n * validation_fraction))) if validation_fraction and n > 2 else 0
    held = set(order[n - n_hold :])
    validating = set(order[n - n_hold - n_val : n - n_hold])
    split = pd.Series("train", index=df.index)
    split[df["pull_number"].isin(validating)] = "validation"
    split[df["pull_number"].isin(held)] = "holdout"
    times = target.groupby("pull_number")["created_at"].min()
    for name, prs in (("validation", validating), ("holdout", held)):
        if prs:  # other reviewers' comments from that period go with it
            cutoff = min(times[p] for p in prs)
            split[(df["role"] == "other") & (df["created_at"] >= cutoff)] = name
    return split


def cap_no_comment(frame: pd.DataFrame, ratio: float) -> pd.DataFrame:
    """At most `ratio` NO_COMMENT examples per comment example (a deterministic choice)."""
    comments = frame[frame["kind"] == "comment"]
    negatives = frame[frame["kind"] == "no_comment"]
    keep = int(len(comments) * ratio)
    if len(negatives) <= keep:
        return frame
    return pd.concat([comments, negatives.sort_values("example_id").iloc[:keep]]).sort_index()


def to_openai_jsonl(examples: pd.DataFrame) -> str:
    """The examples as OpenAI chat fine-tuning lines: {"messages": [system, user, assistant]}."""
    lines = []
    for row in examples.itertuples(index=False):
        lines.append(
            json.dumps(
                {
                    "messages": [
                        {"role": "system", "content": row.system},
                        {"role": "user", "content": row.prompt},
                        {"role": "assistant", "content": row.response},
                    ]
                }
            )
        )
    return "\n".join(lines) + ("\n" if lines else "")
