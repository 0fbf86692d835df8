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

    def write(self, hunks: list[HunkReview]) -> list[Suggestion | None]:
        """Her nearest past comment on each hunk, at its line most like code she commented on, whatever
        the similarity: the hunks were chosen by the where-model (where_placed.py), not by this index."""
        out: list[Suggestion | None] = []
        for hunk in hunks:
            best = None
            for candidate in hunk.candidates:
                nearest = self.index.nearest_scored(candidate.key, 1)
                if nearest and (best is None or nearest[0][1] > best[1]):
                    best = (nearest[0][0], nearest[0][1], candidate)
            out.append(Suggestion(best[2], best[0], best[1]) if best else None)
        return out

    def focus(self, hunk: HunkReview):
        """The candidate line most like something the reviewer commented on (for generative backends)."""
        matches = self.index.best([c.key for c in hunk.candidates])
        commented = [(m.score, c) for m, c in zip(matches, hunk.candidates) if not m.silent]
        scored = commented or [(m.score, c) for m, c in zip(matches, hunk.candidates)]
        return max(scored, key=lambda sc: sc[0])[1]
