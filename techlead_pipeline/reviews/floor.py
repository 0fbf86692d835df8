"""The floor every draft must clear before it may be posted, whatever backend wrote it.

A wrong comment costs more than silence: a small model pushed to speak writes its silence on
("No, no, no, …"), loops on a phrase, or says a tautology ("add `x` to the `x`"). None of that is a
review, and none of it is posted. The rules are about the text's shape, never its topic, so they hold
for any reviewer; `benchmarks/floor_on_real_comments.py` and a test run them over every real review
comment we have (crc-py, aeon_mecha) to show they leave real reviewers' words alone.

  empty            nothing but whitespace, punctuation or symbols
  silence          the no-comment answer, in any spelling, or a lone word of refusal ("No.")
  repetition       a word or a two-word phrase said three times running, a longer phrase twice
                   running, a code span four times, or one word a third of the comment
  tautology        "add X to X", "replace X with X": a change into itself
  suggestion       a ```suggestion block that changes nothing, or that shares nothing with the
                   lines it would replace
  not a review     an assistant answering the prompt instead of a reviewer reading code: the code
                   "is not available" / "is written in Python", "please provide the code", "as an
                   AI", "I cannot see", "I hope this helps"
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from ..training_data.prompts import NO_COMMENT, says_no_comment

REASONS = ("empty", "silence", "repetition", "tautology", "suggestion", "not a review")

_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_SUGGESTION = re.compile(r"```suggestion[^\n]*\n(.*?)(?:\n)?```", re.S)
# A code span, or a run of word characters with the dots, slashes and dashes of names and paths
# (`random_forest/random_forest.py` is one path, not a phrase said twice).
_WORD = re.compile(r"`[^`\n]+`|\w+(?:[./'’-]+\w+)*", re.UNICODE)
_REFUSALS = {"no", "nope", "none", "nothing", "null", "na", "n", "nah", "nil", "no_comment", "nocomment"}
# Words allowed to come back often: what every sentence is made of.
_COMMON = set(
    "a an the to of in on at is it be this that and or for with as by if not no do we you i can should "
    "would could are was were has have will than then so but from into what why how which there here".split()
)
_CHANGE_VERBS = set("add append insert put move rename change convert replace cast turn set wrap swap".split())
_LINK_WORDS = set("to into with in as by for".split())
_ARTICLES = set("a an the this that".split())
# How an instruction-tuned model talks about the request it was given; no reviewer writes this on a line.
_ASSISTANT_TALK = re.compile(
    r"\b(the|this|that|your) (code|snippet|file|function) (is|was|has been)( not| n't)?( already| now)? "
    r"(available|provided|given|shown|included|visible|ready to be used|written in)\b"
    r"|\bplease (provide|share|paste|send|give)( me)? (the|more|your|some)( full| complete| whole)? "
    r"(code|context|snippet|source|rest of)\b"
    r"|\bas an ai\b|\b(a|an) (ai|large) language model\b"
    r"|\bi (cannot|can't|can not|am unable to|am not able to|don't have access to) (see|access|view|review|read)\b"
    r"|\bi hope (this|that) helps\b|\blet me know if you (have|need)\b"
    r"|\b(here is|here's) (the|a|my) (review|comment|answer|response)\b",
    re.I,
)
_PRONOUNS = set("it this that them these those one".split())  # "add it in maths/ and re-use it"


def _tokens(text: str) -> list[str]:
    return [t.lower() for t in _WORD.findall(text)]


def _repeats_in_a_row(tokens: list[str]) -> bool:
    words = [t for t in tokens if not t.isdigit()]  # `{1: 1, 2: 2}` is data, not a stutter
    for n in range(1, 13):  # "no no no", "this file this file this file", "to the end to the end"
        times = 3 if n < 3 else 2
        for i in range(len(words) - times * n + 1):
            if all(words[i : i + n] == words[i + k * n : i + (k + 1) * n] for k in range(1, times)):
                return True
    return False


def _one_word_dominates(tokens: list[str]) -> bool:
    """A code span said four times in one comment (`#` four times in a 20-word comment), or a word
    that is not the glue of every sentence said 3+ times and making up 30 % of the comment."""
    counts = Counter(t for t in tokens if t not in _COMMON)
    return any((c >= 4 and t.startswith("`")) or (c >= 3 and c / len(tokens) >= 0.3) for t, c in counts.items())


def _normal(phrase: str) -> str:
    return re.sub(r"[`'\"*_]", "", phrase).strip().lower()


def _tautology(tokens: list[str]) -> bool:
    """ "add a `return err` to the `return err` statement", "replace `x` with `x`", "add a `#` to the
    end of the `#`": a change of a thing into (a part of) itself."""
    bare = [t.strip("`") for t in tokens]
    for i, word in enumerate(bare):
        if word not in _CHANGE_VERBS:
            continue
        j = i + 1 + (i + 1 < len(bare) and bare[i + 1] in _ARTICLES)
        thing = bare[j] if j + 1 < len(bare) and bare[j + 1] in _LINK_WORDS else None
        if thing and thing not in _PRONOUNS and thing in bare[j + 2 : j + 6]:
            return True
    return False


def _suggestion_problem(text: str, target_lines: list[str] | None) -> bool:
    blocks = _SUGGESTION.findall(text)
    if not blocks or target_lines is None:
        return False
    current = "\n".join(line.strip() for line in target_lines).strip()
    for block in blocks:
        proposed = "\n".join(line.strip() for line in block.split("\n")).strip()
        if proposed == current:
            return True  # changes nothing
        shared_words = set(_tokens(proposed)) & set(_tokens(current))
        if proposed and current and not shared_words and SequenceMatcher(None, proposed, current).ratio() < 0.3:
            return True  # no plausible replacement of these lines: no name in common, little text
    return False


def floor_reason(text: str, target_lines: list[str] | None = None) -> str | None:
    """Why `text` may not be posted (one of REASONS), or None when it clears the floor.
    `target_lines`: the lines the comment sits on, for judging a suggestion block."""
    body = (text or "").strip()
    prose = _SUGGESTION.sub(" ", body)
    tokens = _tokens(prose)
    if NO_COMMENT in body or says_no_comment(body) or "nocomment" in re.sub(r"[^a-z]", "", body.lower()):
        return "silence"
    if len(tokens) == 1 and tokens[0].strip("`") in _REFUSALS:
        return "silence"
    if not tokens and not _SUGGESTION.search(body):
        return "empty"
    if _repeats_in_a_row(tokens) or _one_word_dominates(tokens):
        return "repetition"
    if _tautology(tokens):
        return "tautology"
    if _suggestion_problem(body, target_lines):
        return "suggestion"
    if _ASSISTANT_TALK.search(prose):
        return "not a review"
    return None


WHY = {
    "empty": "empty",
    "silence": "its silence written out",
    "repetition": "repeating itself",
    "tautology": "a tautology",
    "suggestion": "a suggestion that changes nothing or nothing of these lines",
    "not a review": "talking about the request, not the code",
    "ungrounded": "naming code that is not here",
    "already done": "asking for what the line already reads",
    "pre-existing": "about code this pull request did not change",
}


@dataclass
class FloorTally:
    """How many drafts were dropped, by reason: below the floor (REASONS), or not fitting the code they
    would sit on (reviews/fit.py). For the summary and the asset metadata."""

    by_reason: Counter = field(default_factory=Counter)
    # (reason, where, text) of each: in memory only, for benchmarks that read what was dropped.
    dropped: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, reason: str, where: str = "", text: str = "") -> None:
        self.by_reason[reason] += 1
        self.dropped.append((reason, where, text))

    @property
    def total(self) -> int:
        return sum(self.by_reason.values())

    def as_dict(self) -> dict:
        return {reason: self.by_reason[reason] for reason in WHY if self.by_reason[reason]}

    def sentence(self) -> str | None:
        if not self.total:
            return None
        why = "; ".join(f"{n} {WHY[reason]}" for reason, n in self.as_dict().items())
        n = self.total
        return f"Dropped {n} draft{'s' if n != 1 else ''} I would rather not post ({why})."
