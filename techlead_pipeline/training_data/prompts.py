"""The one prompt format, used to train an adapter and to review with it (they must not drift).

system    who is reviewing where, and how to answer
user      file path and language, the diff hunk up to the focus line, the code around it with the
          focus line marked `>>`
assistant the reviewer's one-line comment, or NO_COMMENT
"""

from __future__ import annotations

NO_COMMENT = "NO_COMMENT"
MAX_HUNK_LINES = 24


def system_prompt(reviewer: str, repo: str) -> str:
    return (
        f"You are {reviewer}, reviewing a pull request in {repo}. Write the one-line review comment you would "
        f"leave on the line marked >>, in your own words and style. If you would not comment there, reply "
        f"exactly {NO_COMMENT}."
    )


def trim_hunk(hunk: str, max_lines: int = MAX_HUNK_LINES) -> str:
    lines = (hunk or "").split("\n")
    if len(lines) <= max_lines + 1:
        return hunk or ""
    header = lines[0] if lines[0].startswith("@@") else ""
    return "\n".join(([header] if header else []) + lines[-max_lines:])


def code_block(code: str, start_line: int | None, focus_line: int | None) -> str:
    if not code:
        return "(no code available)"
    out = []
    for offset, text in enumerate(code.split("\n")):
        number = (start_line or 1) + offset
        mark = ">>" if focus_line is not None and number == focus_line else "  "
        out.append(f"{mark}{number:>5} | {text}")
    return "\n".join(out)


def user_prompt(
    path: str, language: str, hunk: str, code: str, start_line: int | None, focus_line: int | None, side: str = "RIGHT"
) -> str:
    version = "old" if side == "LEFT" else "new"
    return (
        f"File: {path} ({language})\n"
        f"Diff:\n{trim_hunk(hunk)}\n"
        f"Code around the marked line ({version} version):\n{code_block(code, start_line, focus_line)}"
    )


def messages(reviewer: str, repo: str, user: str, response: str | None = None) -> list[dict]:
    msgs = [{"role": "system", "content": system_prompt(reviewer, repo)}, {"role": "user", "content": user}]
    if response is not None:
        msgs.append({"role": "assistant", "content": response})
    return msgs
