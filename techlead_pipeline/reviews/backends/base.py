"""The one small interface of reviewer backends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol

from ..hunks import Candidate, HunkReview


@dataclass
class Suggestion:
    candidate: Candidate
    body: str  # raw model/backend output; sanitised before posting
    score: float | None = None


CUT_OFF = "the model's answer ran past its length limit"  # cut mid-sentence: not a comment to post


@dataclass
class Unreviewed:
    """A hunk the backend could not review (its prompt cannot fit, the model server refused it):
    named in the review's summary, never taken for silence."""

    reason: str


class BackendUnavailableError(RuntimeError):
    """The model server cannot be reached; the review can be retried later."""


class ReviewerBackend(Protocol):
    name: str

    def review(self, hunks: list[HunkReview]) -> list[Suggestion | Unreviewed | None]:
        """Zero or one suggestion per hunk, in order; None means stay silent."""


Drafted = tuple[int, "Suggestion | Unreviewed | None"]  # (the hunk's index, what the backend made of it)


def in_order_of_confidence(backend: ReviewerBackend, hunks: list[HunkReview]) -> Iterator[Drafted]:
    """Each hunk's result. A backend that decides where to speak before writing
    (reviews/backends/generative.py) gives the ones most worth a comment first and writes only as far
    as it is read: a review that has its comments stops asking. The others answer all at once, in
    diff order (nothing is saved by reading them in another)."""
    lazy = getattr(backend, "review_in_order", None)
    if lazy is not None:
        yield from lazy(hunks)
        return
    yield from enumerate(backend.review(hunks))
