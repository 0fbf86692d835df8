"""`retrieval`: answers with the reviewer's own comment on the most similar code they reviewed,
only above the calibrated similarity and never where their nearest memory is a silence. Runs on
any CPU in milliseconds."""

from __future__ import annotations

from ..hunks import HunkReview
from .base import Suggestion
from .retrieval_index import RetrievalIndex


class RetrievalBackend:
    name = "retrieval"

    def __init__(self, index: RetrievalIndex):
        self.index = index

    def review(self, hunks: list[HunkReview]) -> list[Suggestion | None]:
        keys = [c.key for h in hunks for c in h.candidates]
        matches = iter(self.index.best(keys))
        out: list[Suggestion | None] = []
        for hunk in hunks:
            # A remembered silence speaks for its own line only: the hunk gets the best line whose
            # nearest memory is a comment above the threshold, if any.
            scored = [(m, c) for m, c in ((next(matches), c) for c in hunk.candidates) if self.index.answer(m)]
            if not scored:
                out.append(None)
                continue
            match, candidate = max(scored, key=lambda mc: mc[0].score)
            out.append(Suggestion(candidate, match.response, match.score))
        return out

    def focus(self, hunk: HunkReview):
        """The candidate line most like something the reviewer commented on (for generative backends)."""
        matches = self.index.best([c.key for c in hunk.candidates])
        commented = [(m.score, c) for m, c in zip(matches, hunk.candidates) if not m.silent]
        scored = commented or [(m.score, c) for m, c in zip(matches, hunk.candidates)]
        return max(scored, key=lambda sc: sc[0])[1]
