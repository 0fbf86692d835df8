"""The systems compared on the same held-out data: the adapter, the retrieval backend, and two
baselines — "another reviewer's nearest comment" and "the reviewer's most frequent comment".

Each system answers two questions about held-out examples:
  say(items)          what it would write at each line the reviewer commented on ("" for nothing);
  comments_on(chunks) whether it comments at all on each held-out hunk (a list of candidate lines).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..reviews.backends.retrieval_index import RetrievalIndex
from ..training_data.prompts import NO_COMMENT, messages


@dataclass(frozen=True)
class EvalItem:
    key: str
    system: str
    prompt: str
    response: str  # the truth (NO_COMMENT for silent lines)


class RetrievalSystem:
    """Nearest remembered comment. `say` gives its best comment even below the threshold (what it
    would write if it spoke); `comments_on` applies the threshold and the silences (when)."""

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

    def comments_on(self, chunks: list[list[EvalItem]]) -> list[bool]:
        out = []
        for chunk in chunks:
            out.append(any(self.index.answer(m) for m in self.index.best([i.key for i in chunk])))
        return out


class MostFrequentSystem:
    def __init__(self, train_comments: list[str]):
        self.name = "most frequent comment"
        self.comment = Counter(train_comments).most_common(1)[0][0] if train_comments else ""

    def say(self, items: list[EvalItem]) -> list[str]:
        return [self.comment] * len(items)

    def comments_on(self, chunks: list[list[EvalItem]]) -> list[bool]:
        return [bool(self.comment)] * len(chunks)


class GenerativeSystem:
    """The adapter, asked exactly as in review: one prompt per hunk at the line the retrieval index
    finds most comment-worthy (`comments_on`), or at the line the reviewer commented on (`say`)."""

    def __init__(self, name: str, generate, reviewer: str, repo: str, focus_index: RetrievalIndex):
        self.name = name
        self.generate = generate  # list of conversations -> list of strings
        self.reviewer = reviewer
        self.repo = repo
        self.focus_index = focus_index

    def _ask(self, items: list[EvalItem]) -> list[str]:
        if not items:
            return []
        answers = self.generate([messages(self.reviewer, self.repo, i.prompt) for i in items])
        return ["" if not a.strip() or a.strip().startswith(NO_COMMENT) else a.strip() for a in answers]

    def say(self, items: list[EvalItem]) -> list[str]:
        return self._ask(items)

    def comments_on(self, chunks: list[list[EvalItem]]) -> list[bool]:
        focus = []
        for chunk in chunks:
            matches = self.focus_index.best([i.key for i in chunk])
            scored = [(m.score, i) for m, i in zip(matches, chunk) if not m.silent] or [
                (m.score, i) for m, i in zip(matches, chunk)
            ]
            focus.append(max(scored, key=lambda s: s[0])[1])
        return [bool(a) for a in self._ask(focus)]
