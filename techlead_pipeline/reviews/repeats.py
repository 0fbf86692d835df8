"""Say it once: drafts of one review that ask the same thing (judged by meaning, with the MiniLM
model the evaluation uses, not by exact text) become one comment, on the hunk the bot is surest of,
naming the other places. A lead who writes the same nit on five lines is imitated once, not five
times: her habit is worth one comment a review, and the author can find the rest.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from ..common.safe_markdown import code_span
from .post import DraftComment

SAME_ASK = 0.8  # MiniLM cosine at or above which two drafts ask the same thing
NAMED_AT_MOST = 5  # other places named on the comment kept
MIN_WORDS = 3  # shorter drafts ("typo", "nit") are the same ask only word for word: too short to judge by meaning


_PLACES = re.compile(r"\s*\(The same at [^()]*\.\)\s*$")


def without_places(text: str) -> str:
    """A comment without the places it names for its repeats (how it reads when said again)."""
    return _PLACES.sub("", text or "")


def _unit_vectors(texts: list[str]) -> np.ndarray:
    from ..evaluation.metrics import _embedded

    return _embedded(texts)


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def said_once(
    drafts: list[DraftComment], similarity: float = SAME_ASK
) -> tuple[list[DraftComment], list[DraftComment]]:
    """(the drafts to keep, in their order, each naming the places of the drafts it stands for; the
    drafts it stands for). Of each group of drafts asking the same thing, the surest is kept."""
    if len(drafts) < 2:
        return list(drafts), []
    vectors = _unit_vectors([d.body for d in drafts])
    same = vectors @ vectors.T >= similarity
    texts = [_normalised(d.body) for d in drafts]
    order = sorted(range(len(drafts)), key=lambda i: (drafts[i].confidence is None, -(drafts[i].confidence or 0.0), i))
    group_of: dict[int, int] = {}
    for i in order:
        if i in group_of:
            continue
        group_of[i] = i
        for j in order:
            meaning = same[i, j] and min(len(texts[i].split()), len(texts[j].split())) >= MIN_WORDS
            if j not in group_of and (meaning or texts[i] == texts[j]):
                group_of[j] = i
    kept, repeats = [], []
    for i, draft in enumerate(drafts):
        if group_of[i] != i:
            repeats.append(draft)
            continue
        others = [drafts[j] for j in range(len(drafts)) if group_of[j] == i and j != i]
        if others:
            places = ", ".join(code_span(f"{d.anchor.path}:{d.anchor.line}") for d in others[:NAMED_AT_MOST])
            more = f" and {len(others) - NAMED_AT_MOST} more" if len(others) > NAMED_AT_MOST else ""
            # a one-line comment stays one line; after a block (a suggestion), on a line of its own
            sep = "\n\n" if "\n" in draft.body else " "
            draft = replace(draft, body=f"{draft.body}{sep}(The same at {places}{more}.)")
        kept.append(draft)
    return kept, repeats
