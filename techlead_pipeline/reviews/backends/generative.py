"""What `local` and `vllm` share: one prompt per hunk, in the format the adapter was trained on,
focused on the line the retrieval index finds most comment-worthy (else the hunk's last change),
fitted to the model's context, optionally with the reviewer's nearest past comments as examples.

Whether to speak at all is decided per hunk: with a calibrated threshold on the model's probability
of answering NO_COMMENT when the backend can measure it (the threshold is chosen per reviewer on a
validation split of the training period), else by the model's own greedy answer.

What to say, once speaking: what the model writes, or (`rerank`, the learned model as judge of the
lead's own words) the one of the lead's nearest past comments the adapter finds likeliest for this
hunk, by its length-normalised log-likelihood, when that is at least `rerank.min_score` (placed on
the validation split); below it, the model writes its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from ...training_data.prompts import fit_prompt, messages, says_no_comment, with_examples
from ..anchors import default_focus
from ..hunks import HunkReview
from .base import Drafted, Suggestion, Unreviewed
from .retrieval import RetrievalBackend

TOO_LONG = "its prompt cannot fit the model's context, even cut down to the changed line"
UNMEASURED = "the model server did not say whether it deserves a comment"
WRITE_AHEAD = 30  # drafts written at a time once the places to speak are ranked: a review posts at most 10
MEMO_LIMIT = 50_000  # prompts remembered (fitted, tokenized) before the memo starts again


@dataclass(frozen=True)
class Rerank:
    candidates: int = 5  # the lead's nearest past comments the adapter chooses among
    min_score: float = float("-inf")  # a pick's score below which the model writes its own
    # A pick's score: the adapter's mean log-probability per token, plus `prior` times the comment's
    # similarity to the code (retrieval's own measure). 0: the adapter alone judges; large: retrieval's
    # order, the adapter deciding only whether to speak. Both placed on the validation split.
    prior: float = 0.0


class GenerativeBackend:
    name = "generative"

    def __init__(
        self,
        reviewer: str,
        repo: str,
        focus_picker: RetrievalBackend | None = None,
        examples: int = 0,
        silence_threshold: float | None = None,
        prompt_style: str = "full",
    ):
        self.prompt_style = prompt_style  # the system prompt the adapter was trained with
        self.rerank: Rerank | None = None
        self._key_of: dict[str, str] = {}  # conversation -> the code key it was asked about (for rerank)
        self.confidence: dict[str, float] = {}  # conversation -> 1 - P(NO_COMMENT), where measured
        self._likelihood: dict[str, float] = {}  # (conversation, answer) -> its score, once computed
        self._fitted: dict[tuple, list[dict] | None] = {}  # (prompt, code key) -> its fitted conversation
        self.reviewer = reviewer
        self.repo = repo
        self.focus_picker = focus_picker
        self.examples = examples  # k past comments in the prompt (retrieval-augmented); 0: none
        self.silence_threshold = silence_threshold

    def forget(self) -> None:
        """Drops what it remembers of earlier questions (a benchmark times a review from nothing)."""
        self.confidence.clear()
        self._likelihood.clear()

    def _focus(self, hunk: HunkReview):
        if self.focus_picker is not None:
            return self.focus_picker.focus(hunk)
        last = default_focus(hunk.chunk)
        return next(c for c in hunk.candidates if c.line == last)

    def fits(self, conversation: list[dict]) -> bool:
        return True

    def conversation(self, user: str, key: str | None = None) -> list[dict] | None:
        """The conversation for one prompt, with past comments when asked for, fitted to the context
        (None when it cannot fit). The same prompt is asked again by calibration, by each measure and by
        the review: fitted once."""
        memo = (user, key, self.examples, self.prompt_style)
        if memo not in self._fitted:
            if len(self._fitted) > MEMO_LIMIT:
                self._fitted.clear()
            self._fitted[memo] = self._fit(user, key)
        conversation = self._fitted[memo]
        if conversation is not None and key is not None:
            self._key_of[repr(conversation)] = key
        return conversation

    def _fit(self, user: str, key: str | None) -> list[dict] | None:
        if self.examples and self.focus_picker is not None and key is not None:
            user = with_examples(user, self.focus_picker.index.nearest_comments(key, self.examples))
        fitted = fit_prompt(user, lambda u: self.fits(self._messages(u)))
        return None if fitted is None else self._messages(fitted)

    def _messages(self, user: str) -> list[dict]:
        return messages(self.reviewer, self.repo, user, style=self.prompt_style)

    def answers(self, conversations: list[list[dict]]) -> list[str | Unreviewed]:
        """The model's own answer to each conversation ("" for silence): where no calibrated threshold
        decides beforehand, its greedy answer decides whether to speak."""
        return [_heard(text) for text in self.say(conversations)] if conversations else []

    def review(self, hunks: list[HunkReview]) -> list[Suggestion | Unreviewed | None]:
        out: list[Suggestion | Unreviewed | None] = [None] * len(hunks)
        for i, result in self.review_in_order(hunks):
            out[i] = result
        return out

    def review_in_order(self, hunks: list[HunkReview]) -> Iterator[Drafted]:
        """Where to speak is decided first, for every hunk (one forward pass each, no writing); then the
        drafts are written, the surest places first, WRITE_AHEAD at a time, as far as they are read.
        Without a calibrated threshold (or a model that can measure it), the model's own answer on every
        hunk decides, all written at once."""
        asked = []
        for i, hunk in enumerate(hunks):
            candidate = self._focus(hunk)
            conversation = self.conversation(hunk.prompt(candidate), candidate.key)
            if conversation is None:
                yield i, Unreviewed(TOO_LONG)
            else:
                asked.append((i, candidate, conversation))
        measure = getattr(self, "silence_probability", None)
        if self.silence_threshold is None or measure is None or not asked:
            for (i, candidate, c), said in zip(asked, self.answers([c for _, _, c in asked])):
                yield i, self._suggestion(candidate, c, said)
            return
        p_silent = measure([c for _, _, c in asked])
        speak = []
        for k, ((i, _, c), p) in enumerate(zip(asked, p_silent)):
            if p is None:  # the model server could not say (vllm.py): named, never taken for silence
                yield i, Unreviewed(UNMEASURED)
                continue
            self.confidence[repr(c)] = round(1.0 - p, 4)  # how sure it is that this hunk deserves a word
            if p < self.silence_threshold:
                speak.append(k)
            else:
                yield i, None
        speak.sort(key=lambda k: p_silent[k])
        for start in range(0, len(speak), WRITE_AHEAD):
            batch = [asked[k] for k in speak[start : start + WRITE_AHEAD]]
            for (i, candidate, c), text in zip(batch, self.say([c for _, _, c in batch], speak=True)):
                yield i, self._suggestion(candidate, c, _heard(text))

    def write(self, hunks: list[HunkReview]) -> list[Suggestion | Unreviewed | None]:
        """A draft on each hunk, its own speak-or-not decision not asked: the where-model chose them."""
        asked, out = [], [None] * len(hunks)
        for i, hunk in enumerate(hunks):
            candidate = self._focus(hunk)
            conversation = self.conversation(hunk.prompt(candidate), candidate.key)
            if conversation is None:
                out[i] = Unreviewed(TOO_LONG)
            else:
                asked.append((i, candidate, conversation))
        for (i, candidate, c), text in zip(asked, self.say([c for _, _, c in asked], speak=True) if asked else []):
            out[i] = self._suggestion(candidate, c, _heard(text))
        return out

    def _suggestion(self, candidate, conversation, said) -> Suggestion | Unreviewed | None:
        if isinstance(said, Unreviewed) or not said:
            return said or None
        return Suggestion(candidate, said, self.confidence.get(repr(conversation)))

    def say(self, conversations: list[list[dict]], speak: bool = False) -> list[str | Unreviewed]:
        """What it says to each conversation: generated, or with `rerank`, the lead's own best-fitting words."""
        if self.rerank is None or not conversations:
            return self.generate(conversations, speak) if conversations else []
        picks = self.best_past_comments(conversations)
        own = {i for i, p in enumerate(picks) if p is None or p[1] < self.rerank.min_score}
        written = iter(self.generate([conversations[i] for i in sorted(own)], speak) if own else [])
        return [next(written) if i in own else picks[i][0] for i in range(len(conversations))]

    def best_past_comments(self, conversations: list[list[dict]]) -> list[tuple[str, float] | None]:
        """Per conversation, the lead's past comment the adapter finds likeliest, and its score."""
        pairs, owner, similar = [], [], []
        for n, conversation in enumerate(conversations):
            key = self._key_of.get(repr(conversation))
            if key is None or self.focus_picker is None:
                continue
            for comment, similarity in self.focus_picker.index.nearest_scored(key, self.rerank.candidates):
                pairs.append((conversation, comment))
                owner.append(n)
                similar.append(similarity)
        likelihoods = self.scored_pairs(pairs)
        best: list[tuple[str, float] | None] = [None] * len(conversations)
        for n, (_, comment), likelihood, similarity in zip(owner, pairs, likelihoods, similar):
            score = likelihood + self.rerank.prior * similarity
            if best[n] is None or score > best[n][1]:
                best[n] = (comment, score)
        return best

    def scored_pairs(self, pairs: list[tuple[list[dict], str]]) -> list[float]:
        """answer_likelihoods, each pair computed once per backend (calibration asks them again)."""
        missing = {repr(p): p for p in pairs if repr(p) not in self._likelihood}
        if missing:
            for key, value in zip(missing, self.answer_likelihoods(list(missing.values()))):
                self._likelihood[key] = value
        return [self._likelihood[repr(p)] for p in pairs]

    def answer_likelihoods(self, pairs: list[tuple[list[dict], str]]) -> list[float]:
        raise NotImplementedError(f"the {self.name} backend cannot score answers")

    def generate(self, conversations: list[list[dict]], speak: bool = False) -> list[str | Unreviewed]:
        raise NotImplementedError


def _heard(text) -> str | Unreviewed:
    """A model's answer as a review reads it: "" for silence (said in any spelling), else the text."""
    if isinstance(text, Unreviewed):
        return text
    text = (text or "").strip()
    return "" if not text or says_no_comment(text) else text
