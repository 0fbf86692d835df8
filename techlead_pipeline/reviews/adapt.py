"""The lead's past words, adapted to this code: a past comment names the code it was written about,
not this code.

When the index is built, each past comment that names code of the line it sat on becomes a template:
those names (in code spans, suggestion blocks, or written as code: `snake_case`, `camelCase`,
`a.b`) are replaced by the position of the name in that line. Serving, the template is filled from
the present line, but only when the present line has the same shape — the same keywords, operators
and literals, names aside — so that "the second name of the line" means the same thing in both.
Otherwise the comment is left as written, and reviews/fit.py keeps it off code it does not name.

Nothing of the code is kept: a template holds the comment with names taken out, and a hash of the
line's shape.
"""

from __future__ import annotations

import hashlib
import re

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CODE_SPAN = re.compile(r"`[^`\n]+`|```suggestion[^\n]*\n.*?```", re.S)
# Written as code even outside a code span: snake_case, camelCase, dotted.
_CODE_LIKE = re.compile(r"^(?:[a-z0-9]+_[A-Za-z0-9_]+|_[A-Za-z0-9_]+|[a-z]+[A-Z][A-Za-z0-9]*)$")
# The words a line's shape is made of, never a name to map (several languages' keywords and builtins).
_KEEP = set(
    """
    and as assert async await break class continue def del elif else except finally for from global if
    import in is lambda nonlocal not or pass raise return try while with yield None True False self cls
    len print range str int float bool list dict set tuple type isinstance super open enumerate zip
    func go defer chan map struct interface package var const switch case default select nil err fallthrough
    function let new this null undefined typeof instanceof catch throw void delete static public private
    protected final void extends implements true false
    """.split()
)


_PROSE_START = ("#", "//", "/*", "*", '"', "'", "--", ";")
MAX_NAMES = 8  # a line of more names is prose-like: "the same shape" would say little


def _adaptable(line: str) -> bool:
    """A line of code, not of prose: a comment or docstring line of the same length as another has
    "the same shape" while meaning something else entirely."""
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(_PROSE_START) and len(_names(line)) <= MAX_NAMES


def _names(line: str) -> list[str]:
    """The line's names, in order, each once."""
    seen: list[str] = []
    for name in _NAME.findall(line):
        if name not in _KEEP and name not in seen:
            seen.append(name)
    return seen


def shape(line: str) -> str:
    """A hash of the line with every name replaced by its position (whitespace folded)."""
    names = _names(line)
    text = _NAME.sub(lambda m: f"\0{names.index(m.group(0))}" if m.group(0) in names else m.group(0), line)
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:16]


def _replace_names(text: str, names: list[str], to) -> str:
    """`text` with each of `names` replaced by `to(position)`: inside code spans and suggestion
    blocks, and outside them where the word is written as code."""
    position = {name: i for i, name in enumerate(names)}

    def in_code(match: re.Match) -> str:
        return _NAME.sub(lambda m: to(position[m.group(0)]) if m.group(0) in position else m.group(0), match.group(0))

    def in_prose(chunk: str) -> str:
        return _NAME.sub(
            lambda m: (
                to(position[m.group(0)]) if m.group(0) in position and _CODE_LIKE.match(m.group(0)) else m.group(0)
            ),
            chunk,
        )

    out, last = [], 0
    for match in _CODE_SPAN.finditer(text):
        out.append(in_prose(text[last : match.start()]))
        out.append(in_code(match))
        last = match.end()
    out.append(in_prose(text[last:]))
    return "".join(out)


def template_of(comment: str, line: str) -> dict | None:
    """The comment as a template over `line`'s names, or None when it names none of them (or the line
    is prose)."""
    if not _adaptable(line):
        return None
    names = _names(line)
    marked = _replace_names(comment.replace("{", "{{").replace("}", "}}"), names, lambda i: f"{{{i}}}")
    if marked == comment.replace("{", "{{").replace("}", "}}"):
        return None
    return {"text": marked, "shape": shape(line)}


def adapt(template: dict, line: str) -> str | None:
    """The template filled with `line`'s names; None when the line has another shape."""
    if not _adaptable(line) or shape(line) != template.get("shape"):
        return None
    try:
        return template["text"].format(*_names(line))
    except (IndexError, KeyError, ValueError):
        return None
