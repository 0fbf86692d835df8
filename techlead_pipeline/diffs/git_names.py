"""File names as git writes them in a diff's headers: C-quoted names, and the `diff --git a/P b/Q`
line read the way git's own apply.c reads it when no `---`/`+++` or `rename` line names the file."""

from __future__ import annotations

import re

DEV_NULL = "/dev/null"

_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def unquote_git_path(name: str) -> str:
    """A path as git writes it in a diff header: C-quoted (octal bytes of UTF-8) when it holds
    anything unusual, else as is."""
    if len(name) < 2 or not (name.startswith('"') and name.endswith('"')):
        return name
    out = bytearray()
    body = name[1:-1]
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in "01234567" and re.match(r"[0-7]{3}", body[i + 1 : i + 4]):
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
        out += ch.encode("utf-8")
        i += 1
    return out.decode("utf-8", "replace")


def strip_prefix(name: str | None) -> str | None:
    """`a/x` or `b/x` -> `x`; /dev/null -> None."""
    if name is None:
        return None
    quoted = re.match(r'"(?:[^"\\]|\\.)*"', name)
    # git ends a name holding a space with a tab (what follows a tab would be a timestamp)
    name = unquote_git_path(quoted.group(0)) if quoted else name.split("\t")[0]
    if name == DEV_NULL:
        return None
    return name[2:] if name[:2] in ("a/", "b/") else name


def _quoted_tokens(rest: str) -> list[str] | None:
    """`"a/x y" "b/x y"` (or one side quoted) -> the two names, else None."""
    tokens = re.findall(r'"(?:[^"\\]|\\.)*"|\S+', rest)
    if len(tokens) == 2 and any(t.startswith('"') for t in tokens):
        return tokens
    return None


def _same_name_split(rest: str, old_prefix: str, new_prefix: str) -> str | None:
    """The name P for which `rest` is `<old_prefix>P <new_prefix>P`, as git's own reader finds it
    (apply.c, git_header_name: "accept a name only if it shows up twice, exactly the same form")."""
    if not rest.startswith(old_prefix):
        return None
    separator = " " + new_prefix
    at = rest.find(separator, len(old_prefix))
    while at >= 0:
        if rest[len(old_prefix) : at] == rest[at + len(separator) :]:
            return rest[len(old_prefix) : at]
        at = rest.find(separator, at + 1)
    return None


def names_from_git_line(line: str) -> tuple[str | None, str | None]:
    """The two names of `diff --git a/P b/Q`, as git itself reads them when no other header says:
    quoted tokens, else the split where both sides name the same path (a file with no `---`/`+++`
    lines, such as a mode change, a binary or an empty new file, is never a rename without a
    `rename` line, so the names are the same); only failing that, the first ` b/`."""
    rest = line[len("diff --git ") :].rstrip("\n")
    quoted = _quoted_tokens(rest)
    if quoted:
        return strip_prefix(quoted[0]), strip_prefix(quoted[1])
    same = _same_name_split(rest, "a/", "b/")
    if same is None and not rest.startswith("a/"):
        same = _same_name_split(rest, "", "")  # `git diff --no-prefix`
    if same:
        return same, same
    first = rest.find(" b/")
    if rest.startswith("a/") and first > 0:
        return rest[2:first], rest[first + 3 :]
    return None, None
