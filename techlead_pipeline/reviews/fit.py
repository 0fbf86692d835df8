"""Whether a draft fits the code it would sit on: it names code that is there, does not ask for what the
line already reads, and sits on the line it is about — a changed line, since code this pull request did
not touch is not its business.

A past comment of the lead names the code it was written about, not this code ("missing type hints on
`notify_discount`" where the function is `notify_dispute`); retrieval finds it because the neighbouring
line looks alike, so it lands one line away from what it describes, often on unchanged context. The
rules look only at code spans (`...`) and the names in them, the way a reader checks a comment:

  ungrounded     it names code (identifiers in code spans), and none of those names is in the hunk
                 or the ~20 lines around it
  already done   the form it proposes (`X` reads better, use `X`, `X`, not `Y`) is what the line reads
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
    re.compile(r"`([^`\n]+)`\s*(?:reads better|is better|is cleaner|is clearer|is nicer|instead|please)", re.I),
    re.compile(r"\b(?:use|prefer|should be|try|write|replace (?:it|this) with)\s+`([^`\n]+)`", re.I),
    re.compile(r"`([^`\n]+)`\s*,?\s*not\s+`[^`\n]+`", re.I),
)
_IGNORED = set(keyword.kwlist) | {"self", "cls", "true", "false", "none"}


def named_code(text: str) -> set[str]:
    """The names a comment points at: identifiers inside its code spans (suggestion blocks aside)."""
    prose = _FENCE.sub(" ", text or "")
    return {
        name
        for span in _SPAN.findall(prose)
        for name in _NAME.findall(span)
        if len(name) >= 3 and name.lower() not in _IGNORED
    }


def _names_on(line: str) -> set[str]:
    return set(_NAME.findall(line))


def grounded(text: str, code: str) -> bool:
    """Every name the comment points at is in `code` (a comment that names nothing is grounded)."""
    return named_code(text) <= _names_on(code)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def already_done(text: str, line: str) -> bool:
    """The form the comment proposes is what `line` already reads."""
    here = _squash(line)
    proposed = [m for pattern in _PROPOSED for m in pattern.findall(_FENCE.sub(" ", text or ""))]
    return any(_squash(p) and _squash(p) in here for p in proposed)


@dataclass(frozen=True)
class Fit:
    reason: str | None = None  # one of FIT_REASONS, or None when it fits
    line: int | None = None  # the changed line to move the comment to, when it is about another one


def fit(text: str, focus: int, window: dict[int, str], changed: set[int]) -> Fit:
    """`focus`: the line the draft would sit on; `window`: line number -> text of the code around it
    (the hunk's lines and the ~20 around); `changed`: the numbers of the hunk's changed lines."""
    names = named_code(text)
    if not names:
        return Fit()
    about = sorted((n for n, line in window.items() if names & _names_on(line)), key=lambda n: (abs(n - focus), n))
    if not about:
        return Fit("ungrounded")
    target = about[0]
    if any(already_done(text, window[n]) for n in (target, focus) if n in window):
        return Fit("already done")
    if target == focus:
        return Fit()
    if target in changed:
        return Fit(None, target)
    return Fit("pre-existing")
