"""The one small interface of reviewer backends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..hunks import Candidate, HunkReview


@dataclass
class Suggestion:
    candidate: Candidate
    body: str  # raw model/backend output; sanitised before posting
    score: float | None = None


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
