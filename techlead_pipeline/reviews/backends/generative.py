"""What `local` and `vllm` share: one prompt per hunk, in the format the adapter was trained on,
focused on the line the retrieval index finds most comment-worthy (else the hunk's last change)."""

from __future__ import annotations

from ...training_data.prompts import NO_COMMENT, messages
from ..anchors import default_focus
from ..hunks import HunkReview
from .base import Suggestion
from .retrieval import RetrievalBackend


class GenerativeBackend:
    name = "generative"

    def __init__(self, reviewer: str, repo: str, focus_picker: RetrievalBackend | None = None):
        self.reviewer = reviewer
        self.repo = repo
        self.focus_picker = focus_picker

    def _focus(self, hunk: HunkReview):
        if self.focus_picker is not None:
            return self.focus_picker.focus(hunk)
        last = default_focus(hunk.chunk)
        return next(c for c in hunk.candidates if c.line == last)

    def requests(self, hunks: list[HunkReview]):
        out = []
        for hunk in hunks:
            candidate = self._focus(hunk)
            out.append((candidate, messages(self.reviewer, self.repo, hunk.prompt(candidate))))
        return out

    def review(self, hunks: list[HunkReview]) -> list[Suggestion | None]:
        reqs = self.requests(hunks)
        texts = self.generate([m for _, m in reqs]) if reqs else []
        out: list[Suggestion | None] = []
        for (candidate, _), text in zip(reqs, texts):
            text = (text or "").strip()
            silent = not text or text.startswith(NO_COMMENT)
            out.append(None if silent else Suggestion(candidate, text))
        return out

    def generate(self, conversations: list[list[dict]]) -> list[str]:
        raise NotImplementedError
