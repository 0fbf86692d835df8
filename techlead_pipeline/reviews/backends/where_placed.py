"""Backends that let the where-model (where/model.py) choose the hunks.

`where+WRITER`: the where-model ranks every hunk of the pull request by how likely she is to comment
on it; only those that clear its threshold (placed without the held-out pull requests), at most the
review's cap, the likeliest first, get a draft, written by the writer the gate trusted (her nearest
past comment, or the adapter), whose own speak-or-not decision is not asked again.

`where-list`: the same ranking, no words: the review's summary lists the hunks she would most likely
comment on, with the precision the where-model was measured at on her held-out pull requests.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from ...common.safe_markdown import code_span
from ...where.table import review_hunk_table
from ..hunks import HunkReview
from .base import Drafted, Suggestion

DEFAULT_CAP = 10


class WhereRanking:
    """The where-model's probabilities over a pull request's hunks."""

    def __init__(self, where, index, cap: int = DEFAULT_CAP):
        self.where = where
        self.index = index
        self.cap = cap
        self.pull: list[HunkReview] | None = None  # every hunk of the pull request (features read its size)
        self.ranked: list[tuple[HunkReview, float]] = []  # the hunks flagged at the last review, likeliest first

    def see_pull(self, hunks: list[HunkReview]) -> None:
        """Every hunk of the pull request, before an incremental review narrows what is reviewed."""
        self.pull = list(hunks)

    def flagged(self, hunks: list[HunkReview]) -> list[tuple[int, float]]:
        """(index in `hunks`, P) of the hunks to speak on, the likeliest first, at most the cap."""
        if not hunks:
            return []
        pull = self.pull or hunks  # the pull request's every hunk, or what was given (outside a review)
        place = {id(h): k for k, h in enumerate(pull)}
        if not all(id(h) in place for h in hunks):
            pull, place = hunks, {id(h): k for k, h in enumerate(hunks)}
        p_all = self.where.probabilities(review_hunk_table(pull), self.index)
        p = np.array([p_all[place[id(h)]] for h in hunks])
        chosen = sorted((i for i in range(len(hunks)) if p[i] >= self.where.threshold), key=lambda i: -p[i])
        out = [(i, round(float(p[i]), 4)) for i in chosen[: self.cap]]
        self.ranked = [(hunks[i], q) for i, q in out]
        return out


class WherePlacedBackend(WhereRanking):
    def __init__(self, where, index, writer, cap: int = DEFAULT_CAP):
        super().__init__(where, index, cap)
        self.writer = writer
        self.name = f"where+{writer.name}"

    def review(self, hunks: list[HunkReview]):
        out = [None] * len(hunks)
        for i, result in self.review_in_order(hunks):
            out[i] = result
        return out

    def review_in_order(self, hunks: list[HunkReview]) -> Iterator[Drafted]:
        chosen = self.flagged(hunks)
        at = {i for i, _ in chosen}
        for i in range(len(hunks)):
            if i not in at:
                yield i, None
        written = self.writer.write([hunks[i] for i, _ in chosen]) if chosen else []
        for (i, p), result in zip(chosen, written):
            if isinstance(result, Suggestion):
                result.score = p  # how likely she is to comment here: the review's order of confidence
            yield i, result


class WhereListBackend(WhereRanking):
    name = "where-list"

    def review(self, hunks: list[HunkReview]) -> list[None]:
        self.flagged(hunks)
        return [None] * len(hunks)

    def ranked_note(self, reviewer: str, measured: dict) -> str:
        """The review's words on where she would look, with what the list was measured at."""
        if not self.ranked:
            return f"None of these hunks is one {code_span(reviewer)} usually comments on."
        places = []
        for n, (hunk, p) in enumerate(self.ranked, 1):
            lines = [ln.new_no or ln.old_no for ln in hunk.chunk.changed]
            places.append(f"{n}. {code_span(hunk.chunk.path)} lines {min(lines)}–{max(lines)} ({p:.0%})")
        row = measured or {}
        how = ""
        if row.get("precision") is not None:
            how = (
                f" On {row['hunks']} hunks of her held-out pull requests, {row['hits']} of the {row['posted']} I "
                f"listed so were ones she commented on: precision {row['precision']:.2f}, {row['lift']:.1f}× her "
                f"comment rate of {row['rate']:.2f}."
            )
        return (
            f"**Where {code_span(reviewer)} usually comments** (the likeliest first; I do not put words in their "
            f"mouth: what I would write was not near enough what they write).{how}\n\n" + "\n".join(places)
        )
