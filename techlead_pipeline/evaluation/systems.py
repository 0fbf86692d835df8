"""The systems compared on the same held-out data: the learned ones (the LoRA adapter, with and
without the reviewer's past comments in its prompt, and the base model alone), the retrieval
backend, and two baselines — "another reviewer's nearest comment" and "the reviewer's most frequent
comment".

Each system answers three questions about held-out examples:
  say(items)          what it would write at each line the reviewer commented on, if it spoke;
  posted(items)       what it would actually post there ("" when its speak-or-not decision says
                      silence): the as-posted view a user sees;
  posts_on(chunks)    what it would post on each held-out hunk (a list of candidate lines; "" for
                      silence), as written: the floor is the measure's to apply (hunk_measure.py).

Beside them, the two systems every learned one must beat: saying nothing, and always speaking (the
lead's nearest past comment on every hunk, at its most comment-worthy line).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..common import progress
from ..reviews.backends.base import Unreviewed
from ..reviews.backends.retrieval_index import RetrievalIndex
from ..training_data.prompts import NO_COMMENT, says_no_comment


@dataclass(frozen=True)
class EvalItem:
    key: str
    system: str
    prompt: str
    response: str  # the truth (NO_COMMENT for silent lines)


class RetrievalSystem:
    """Nearest remembered comment. `say` gives its best comment even below the threshold (what it
    would write if it spoke); `posted` and `posts_on` apply the threshold and the silences."""

    def __init__(self, name: str, index: RetrievalIndex):
        self.name = name
        self.index = index

    def _nearest_comment(self, keys: list[str]):
        commenting = [i for i, e in enumerate(self.index.entries) if e["response"] != NO_COMMENT]
        if not commenting or not keys:
            return [None] * len(keys)
        sub = RetrievalIndex(
            self.index.encoder,
            self.index.vectors[commenting],
            [self.index.entries[i] for i in commenting],
            self.index.threshold,
        )
        return sub.best(keys)

    def say(self, items: list[EvalItem]) -> list[str]:
        return [m.response if m else "" for m in self._nearest_comment([i.key for i in items])]

    def posted(self, items: list[EvalItem]) -> list[str]:
        return [self.index.answer(m) or "" for m in self.index.best([i.key for i in items])] if items else []

    def writes_on(self, chunks: list[list[EvalItem]]) -> list[str]:
        """What it says on each chunk once told to speak there (where/: a where-model chose it): her
        nearest past comment at the chunk's line most like one, whatever its similarity."""
        out = []
        for chunk in chunks:
            matches = [m for m in self._nearest_comment([i.key for i in chunk]) if m]
            best = max(matches, key=lambda m: m.score, default=None)
            out.append(best.response if best else "")
        return out

    def posts_on(self, chunks: list[list[EvalItem]]) -> list[str]:
        """The answer of the chunk's line most like a remembered comment, if any line gets one."""
        out = []
        for chunk in chunks:
            answered = [(m.score, self.index.answer(m)) for m in self.index.best([i.key for i in chunk])]
            answered = [(score, text) for score, text in answered if text]
            out.append(max(answered, key=lambda a: a[0])[1] if answered else "")
        return out


class MostFrequentSystem:
    def __init__(self, train_comments: list[str]):
        self.name = "most frequent comment"
        self.comment = Counter(train_comments).most_common(1)[0][0] if train_comments else ""

    def say(self, items: list[EvalItem]) -> list[str]:
        return [self.comment] * len(items)

    posted = say

    def posts_on(self, chunks: list[list[EvalItem]]) -> list[str]:
        return [self.comment] * len(chunks)


class SayingNothing:
    """The system that never comments: no noise, no hits. A learned reviewer must do better."""

    name = "saying nothing"

    def say(self, items: list[EvalItem]) -> list[str]:
        return [""] * len(items)

    posted = say

    def posts_on(self, chunks: list[list[EvalItem]]) -> list[str]:
        return [""] * len(chunks)


class AlwaysSpeaking(RetrievalSystem):
    """Comments on every hunk: the lead's nearest past comment at the hunk's most comment-like line,
    whatever its similarity. Its precision is the share of hunks the lead commented on."""

    posts_everywhere = True  # the bar: judged as posting on every hunk, whether or not its words fit

    def __init__(self, index: RetrievalIndex):
        super().__init__("always speaking", index)

    def posted(self, items: list[EvalItem]) -> list[str]:
        return self.say(items)

    def posts_on(self, chunks: list[list[EvalItem]]) -> list[str]:
        return self.writes_on(chunks)


class GenerativeSystem:
    """A generative backend (reviews/backends/generative.py), asked exactly as in review: `say` with the
    decision to speak made, `posted` and `posts_on` with its own calibrated speak-or-not decision,
    at the line the retrieval index finds most comment-worthy for a hunk. What it would say is
    generated once per prompt and reused (a CPU has no time to spare)."""

    PROGRESS_EVERY = 32  # drafts written side by side (reviews/backends/local.py), then progress shown

    def __init__(self, name: str, backend, focus_index: RetrievalIndex):
        self.name = name
        self.backend = backend
        self.focus_index = focus_index
        self._spoken: dict[str, str] = {}
        self.written = 0

    def _conversations(self, items: list[EvalItem]):
        return [self.backend.conversation(i.prompt, i.key) for i in items]

    def _speak(self, conversations: list) -> list[str]:
        """What it says to each conversation once it has decided to speak ("" where it cannot)."""
        missing = {repr(c): c for c in conversations if c is not None and repr(c) not in self._spoken}
        keys = list(missing)
        for start in range(0, len(keys), self.PROGRESS_EVERY):  # a CPU writes ~3 a second: show it
            batch = keys[start : start + self.PROGRESS_EVERY]
            for key, answer in zip(batch, self.backend.say([missing[k] for k in batch], speak=True)):
                text = _text(answer).strip()
                self._spoken[key] = "" if says_no_comment(text) else text
            self.written += len(batch)
            progress.report(f"evaluation: {self.name} writing", self.written, None, "drafts")
        return ["" if c is None else self._spoken[repr(c)] for c in conversations]

    def say(self, items: list[EvalItem]) -> list[str]:
        return self._speak(self._conversations(items))

    def posted(self, items: list[EvalItem]) -> list[str]:
        conversations = self._conversations(items)
        measure = getattr(self.backend, "silence_probability", None)
        threshold = self.backend.silence_threshold
        asked = [c for c in conversations if c is not None]
        if not asked:
            return [""] * len(items)
        if measure is not None and threshold is not None:
            p_silent = iter(measure(asked))
            decided = [c is not None and _below(next(p_silent), threshold) for c in conversations]
            # Where to speak is decided first (one forward pass each); only there is anything written.
            spoken = iter(self._speak([c for c, d in zip(conversations, decided) if d]))
            return [next(spoken) if d else "" for d in decided]
        answers = iter(self.backend.answers(asked))
        return ["" if c is None else _text(next(answers)) for c in conversations]

    def _focus(self, chunks: list[list[EvalItem]]) -> list[EvalItem]:
        """Each chunk's line the retrieval index finds most comment-worthy, as a review asks it."""
        focus = []
        for chunk in chunks:
            matches = self.focus_index.best([i.key for i in chunk])
            scored = [(m.score, i) for m, i in zip(matches, chunk) if not m.silent] or [
                (m.score, i) for m, i in zip(matches, chunk)
            ]
            focus.append(max(scored, key=lambda s: s[0])[1])
        return focus

    def posts_on(self, chunks: list[list[EvalItem]]) -> list[str]:
        return self.posted(self._focus(chunks))

    def writes_on(self, chunks: list[list[EvalItem]]) -> list[str]:
        """What it writes on each chunk once a where-model chose it: no silence decision of its own."""
        return self._speak(self._conversations(self._focus(chunks)))


def _below(p_silent: float | None, threshold: float) -> bool:
    """Whether to speak: P(NO_COMMENT) below the threshold (unmeasured: not spoken)."""
    return p_silent is not None and p_silent < threshold


def _text(answer) -> str:
    return "" if isinstance(answer, Unreviewed) else (answer or "")
