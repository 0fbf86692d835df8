"""The text a line is looked up by in the retrieval index: the line itself (twice, for weight)
and its neighbours, without indentation. The same function builds index keys from training
examples and query keys at review time."""

from __future__ import annotations


def retrieval_key(lines: list[str], focus_index: int) -> str:
    def at(i: int) -> str:
        return lines[i].strip() if 0 <= i < len(lines) else ""

    focus = at(focus_index)
    return "\n".join([focus, focus, at(focus_index - 1), at(focus_index + 1)])


def key_from_window(code: str, start_line: int | None, focus_line: int | None, fallback: str) -> str:
    if code and start_line is not None and focus_line is not None:
        lines = code.split("\n")
        index = focus_line - start_line
        if 0 <= index < len(lines):
            return retrieval_key(lines, index)
    return retrieval_key([fallback], 0)


def focus_of_key(key: str) -> str:
    """The line a key was made around (its first line)."""
    return (key or "").split("\n", 1)[0]
