"""What `local` and `vllm` share: one prompt per hunk, in the format the adapter was trained on,
focused on the line the retrieval index finds most comment-worthy (else the hunk's last change),
fitted to the model's context, optionally with the reviewer's nearest past comments as examples.

Whether to speak at all is decided per hunk: with a calibrated threshold on the model's probability
of answering NO_COMMENT when the backend can measure it (the threshold is chosen per reviewer on a
validation split of the training period), else by the model's own greedy answer.
"""

from __future__ import annotations

from ...training_data.prompts import NO_COMMENT, fit_prompt, messages, with_examples
from ..anchors import default_focus
from ..hunks import HunkReview
from .base import Suggestion, Unreviewed
from .retrieval import RetrievalBackend

TOO_LONG = "its prompt cannot fit the model's context, even cut down to the changed line"


class GenerativeBackend:
    name = "generative"

    def __init__(
        self,
        reviewer: str,
        repo: str,
        focus_picker: RetrievalBackend | None = None,
        examples: int = 0,
        silence_threshold: float | None = None,
    ):
        self.reviewer = reviewer
        self.repo = repo
        self.focus_picker = focus_picker
        self.examples = examples  # k past comments in the prompt (retrieval-augmented); 0: none
        self.silence_threshold = silence_threshold

    def _focus(self, hunk: HunkReview):
        if self.focus_picker is not None:
            return self.focus_picker.focus(hunk)
        last = default_focus(hunk.chunk)
        return next(c for c in hunk.candidates if c.line == last)

    def fits(self, conversation: list[dict]) -> bool:
        return True

    def conversation(self, user: str, key: str | None = None) -> list[dict] | None:
        """The conversation for one prompt, with past comments when asked for, fitted to the context
        (None when it cannot fit)."""
        if self.examples and self.focus_picker is not None and key is not None:
            user = with_examples(user, self.focus_picker.index.nearest_comments(key, self.examples))
        fitted = fit_prompt(user, lambda u: self.fits(messages(self.reviewer, self.repo, u)))
        return None if fitted is None else messages(self.reviewer, self.repo, fitted)

    def answers(self, conversations: list[list[dict]]) -> list[str | Unreviewed]:
        """What the model says to each conversation ("" for silence)."""
        said: list[str | Unreviewed] = [""] * len(conversations)
        speak = list(range(len(conversations)))
        measure = getattr(self, "silence_probability", None)
        if self.silence_threshold is not None and measure is not None and conversations:
            p_silent = measure(conversations)
            speak = [i for i, p in enumerate(p_silent) if p < self.silence_threshold]
            texts = self.generate([conversations[i] for i in speak], speak=True) if speak else []
        else:
            texts = self.generate(conversations) if conversations else []
        for i, text in zip(speak, texts):
            if isinstance(text, Unreviewed):
                said[i] = text
                continue
            text = (text or "").strip()
            said[i] = "" if not text or text.startswith(NO_COMMENT) else text
        return said

    def review(self, hunks: list[HunkReview]) -> list[Suggestion | Unreviewed | None]:
        out: list[Suggestion | Unreviewed | None] = [None] * len(hunks)
        asked = []
        for i, hunk in enumerate(hunks):
            candidate = self._focus(hunk)
            conversation = self.conversation(hunk.prompt(candidate), candidate.key)
            if conversation is None:
                out[i] = Unreviewed(TOO_LONG)
            else:
                asked.append((i, candidate, conversation))
        for (i, candidate, _), said in zip(asked, self.answers([c for _, _, c in asked])):
            out[i] = said if isinstance(said, Unreviewed) else (Suggestion(candidate, said) if said else None)
        return out

    def generate(self, conversations: list[list[dict]], speak: bool = False) -> list[str | Unreviewed]:
        raise NotImplementedError
