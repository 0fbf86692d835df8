"""`silent`: what serves when the gate found no way of reviewing this lead that beats saying nothing
(evaluation/gate.py). It reads every hunk and comments on none; the review's summary says why."""

from __future__ import annotations

from ..hunks import HunkReview


class SilentBackend:
    name = "silent"

    def review(self, hunks: list[HunkReview]) -> list[None]:
        return [None] * len(hunks)
