"""Whether a draft fits the code it would sit on: it names code that is there, does not ask for what the
line already reads, and sits on the line it is about — a changed line, since code this pull request did
not touch is not its business.

A past comment of the lead names the code it was written about, not this code ("missing type hints on
`notify_discount`" where the function is `notify_dispute`); retrieval finds it because the neighbouring
line looks alike, so it lands one line away from what it describes, often on unchanged context. The
rules look only at code spans (`...`) and the names in them, the way a reader checks a comment:

  ungrounded     it points at code (a code span other than the form it proposes) that is on no changed
                 line of the hunk and not within two lines of where it would sit
  already done   the form it proposes (`X` reads better, use `X`, `X`, not `Y`) is what the code reads
                 there (the line it is about, the one it sits on, and two lines either side)
  pre-existing   the code it names is on an unchanged line next to the one it would sit on

A draft whose named code sits on another *changed* line of the hunk is moved there instead.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

FIT_REASONS = ("ungrounded", "already done", "pre-existing")

_SPAN = re.compile(r"`([^`\n]+)`")
_FENCE = re.compile(r"```.*?(?:```|$)", re.S)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Where a comment proposes a form: "`X` reads better", "use `X`", "`X`, not `Y`".
_PROPOSED = (
    # "`x` please" asks for `x`; "`x`, please drop it" asks for its removal: `x` must be there
    re.compile(
        r"`([^`\n]+)`\s*,?\s*(?:reads better|is better|is cleaner|is clearer|is nicer|instead"
        r"|please(?!\s+(?:drop|remove|delete|revert|get rid|take (?:it |this )?out)))",
        re.I,
    ),
    re.compile(r"\b(?:use|prefer|should be|try|write|replace (?:it|this) with)\s+`([^`\n]+)`", re.I),
    re.compile(r"`([^`\n]+)`\s*,?\s*not\s+`[^`\n]+`", re.I),
)
NEAR = 2  # lines either side of where a comment sits that a reader takes in with it
_IGNORED = set(keyword.kwlist) | {"self", "cls", "true", "false", "none"}


def _spans(text: str) -> list[str]:
    from .repeats import without_places  # the places a kept comment names for its repeats are no code

    return _SPAN.findall(_FENCE.sub(" ", without_places(text or "")))


_NEGATED = re.compile(r"(?:\bno|\bnot|n't|\bavoid|\bnever|\bdrop)\s+(?:\w+\s+){0,2}$", re.I)


def _proposed(text: str) -> list[str]:
    """The forms a comment asks for ("no bare `except:`" asks for none)."""
    prose = _FENCE.sub(" ", text or "")
    return [
        m.group(1)
        for pattern in _PROPOSED
        for m in pattern.finditer(prose)
        if not _NEGATED.search(prose[max(0, m.start() - 24) : m.start()])
    ]


def referenced(text: str) -> list[str]:
    """The code spans a comment points at in the code: all but the forms it proposes instead (in "use
    `is None`, not `== None`", only `== None` must be there)."""
    proposed = set(_proposed(text))
    return [span for span in _spans(text) if span not in proposed]


def _identifiers(span: str) -> set[str]:
    return {n for n in _NAME.findall(span) if len(n) >= 3 and n.lower() not in _IGNORED}


def named_code(text: str) -> set[str]:
    """The names a comment points at: identifiers inside its code spans (suggestion blocks aside)."""
    return {name for span in _spans(text) for name in _identifiers(span)}


def _holds(line: str, span: str) -> bool:
    """A span is on a line by its names, or (`== None`, `%`: no name in it) by its text."""
    names = _identifiers(span)
    return bool(names & _names_on(line)) if names else bool(_squash(span)) and _squash(span) in _squash(line)


def _names_on(line: str) -> set[str]:
    return set(_NAME.findall(line))


def points_at(text: str, code: str) -> bool:
    """Some piece of code the comment points at is in `code` (or it points at none): what a draft needs
    to be posted, since it may also name what it proposes in prose ("`ValueError` is what it raises")."""
    spans = referenced(text)
    return not spans or any(_holds(code, span) for span in spans)


def grounded(text: str, code: str) -> bool:
    """Every piece of code the comment points at is in `code` (a comment that names nothing is)."""
    return all(_holds(code, span) for span in referenced(text))


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def already_done(text: str, line: str) -> bool:
    """The form the comment proposes is what `line` already reads."""
    here = _squash(line)
    return any(_squash(p) and _squash(p) in here for p in _proposed(text))


@dataclass(frozen=True)
class Fit:
    reason: str | None = None  # one of FIT_REASONS, or None when it fits
    line: int | None = None  # the line it is about, when it is not the one it would sit on


def fit(text: str, focus: int, window: dict[int, str], changed: set[int]) -> Fit:
    """`focus`: the line the draft would sit on; `window`: line number -> text of the code around it
    (the hunk's lines and the ~20 around); `changed`: the numbers of the hunk's changed lines."""
    # What it points at; a comment that only proposes a form (`if not period_items:` reads better)
    # points at the names in it, which must be there to be rewritten.
    spans = referenced(text) or [p for p in _proposed(text) if _identifiers(p)]
    # How much of it each line holds: a span's names, or (counting double) its very text.
    holding = {
        n: sum(_holds(line, span) * (1 + (_squash(span) in _squash(line))) for span in spans)
        for n, line in window.items()
    }
    holding = {n: k for n, k in holding.items() if k}
    # Where it may be about: a changed line of the hunk, or a line within NEAR of where it sits. The
    # nearest wins; between equally near ones, a changed line, then the one holding more of it.
    seen = [n for n in holding if n in changed or abs(n - focus) <= NEAR]
    about = sorted(seen, key=lambda n: (abs(n - focus), n not in changed, -holding[n], n))
    if spans and not about:
        return Fit("ungrounded")
    target = about[0] if spans else focus
    near = {n for around in (target, focus) for n in range(around - NEAR, around + NEAR + 1)}
    if any(already_done(text, window[n]) for n in near if n in window):
        return Fit("already done")
    if target == focus:
        return Fit()
    if target in changed:
        return Fit(None, target)
    return Fit("pre-existing", target)  # the unchanged line it is about, for a lead who does comment there
