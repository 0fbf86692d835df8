"""The one prompt format, used to train an adapter and to review with it (they must not drift).

system    who is reviewing where, and how to answer
user      (optionally) the reviewer's own past comments on similar code, then the file path and
          language, the diff hunk up to the focus line, the code around it with the focus line
          marked `>>`
assistant the reviewer's one-line comment, or NO_COMMENT

Every prompt must fit its model's context. Lines are clipped where they are built (a minified
line of 30,000 characters is one line of code, not a prompt), and `fit_prompt` then shrinks a
prompt step by step until the model's tokenizer says it fits: the diff hunk first (its oldest lines;
the focus line, last, stays), then the code around the focus line (the farthest lines first), then
the past comments, then the longest remaining lines, halved (a line of emoji or CJK is several
tokens a character). What cannot fit even then is not reviewed, and says so.
"""

from __future__ import annotations

from typing import Callable

# The answer for "I would not comment here". One token that no review comment starts with (the
# section sign; one token in SmolLM2's and Llama 3's vocabularies), so that a model told to speak,
# which may not start with it, cannot drift into writing its silence: with `NO_COMMENT` the first
# token `NO` was banned and the model wrote "No, no, no, …" instead.
NO_COMMENT = "§"
_OLD_SPELLINGS = "nocomment"  # how it was spelled before, and how a model may still spell it
MAX_HUNK_LINES = 24
MAX_LINE_CHARS = 240
MIN_LINE_CHARS = 24  # a line is never cut shorter than this, whatever the budget
CODE_HEADER = "Code around the marked line ("
DIFF_HEADER = "Diff:"
EXAMPLES_HEADER = "Comments you left on similar code before:"


PROMPT_STYLES = ("full", "short")


def says_no_comment(text: str) -> bool:
    """Whether an answer is the model declining to comment: NO_COMMENT, or the words it once was
    however spelled (a small model writes `no_COMMENT`, `No comment.`, `NO COMMENT`)."""
    import re

    text = (text or "").strip()
    return text.startswith(NO_COMMENT) or re.sub(r"[^a-z]", "", text.lower()).startswith(_OLD_SPELLINGS)


def system_prompt(reviewer: str, repo: str, style: str = "full") -> str:
    """`full`: the instruction a base model needs to answer at all (zero-shot, Llama 3 8B).
    `short`: what a fine-tuned adapter needs to be told when every prompt token costs CPU time
    (a quarter of the tokens; the adapter learns the rest from its examples)."""
    if style == "short":
        return f"Review as {reviewer} in {repo}: one line on the >> line, or {NO_COMMENT}."
    if style != "full":
        raise ValueError(f"unknown prompt style {style!r}; one of {', '.join(PROMPT_STYLES)}")
    return (
        f"You are {reviewer}, reviewing a pull request in {repo}. Write the one-line review comment you would "
        f"leave on the line marked >>, in your own words and style. If you would not comment there, reply "
        f"exactly {NO_COMMENT}."
    )


def clip(line: str, limit: int = MAX_LINE_CHARS) -> str:
    return line if len(line) <= limit else line[:limit] + " …"


def trim_hunk(hunk: str, max_lines: int = MAX_HUNK_LINES) -> str:
    lines = [clip(ln) for ln in (hunk or "").split("\n")]
    if len(lines) <= max_lines + 1:
        return "\n".join(lines)
    header = lines[0] if lines[0].startswith("@@") else ""
    return "\n".join(([header] if header else []) + lines[-max_lines:])


def code_block(code: str, start_line: int | None, focus_line: int | None) -> str:
    if not code:
        return "(no code available)"
    out = []
    for offset, text in enumerate(code.split("\n")):
        number = (start_line or 1) + offset
        mark = ">>" if focus_line is not None and number == focus_line else "  "
        out.append(f"{mark}{number:>5} | {clip(text)}")
    return "\n".join(out)


def user_prompt(
    path: str, language: str, hunk: str, code: str, start_line: int | None, focus_line: int | None, side: str = "RIGHT"
) -> str:
    version = "old" if side == "LEFT" else "new"
    return (
        f"File: {clip(path)} ({language})\n"
        f"{DIFF_HEADER}\n{trim_hunk(hunk)}\n"
        f"{CODE_HEADER}{version} version):\n{code_block(code, start_line, focus_line)}"
    )


def with_examples(prompt: str, past_comments: list[str]) -> str:
    """The retrieval-augmented prompt: the reviewer's own nearest past comments first, as examples."""
    if not past_comments:
        return prompt
    shown = "\n".join(f"- {clip(c, 300)}" for c in past_comments)
    return f"{EXAMPLES_HEADER}\n{shown}\n\n{prompt}"


# ---------------------------------------------------------------------------------------------- fitting
def _split(prompt: str) -> tuple[list[str], list[str], list[str], list[str]] | None:
    """(examples, file line + diff header, hunk lines, code part) of a prompt in our format."""
    lines = prompt.split("\n")
    try:
        diff_at = lines.index(DIFF_HEADER)
        code_at = next(i for i, ln in enumerate(lines) if ln.startswith(CODE_HEADER) and i > diff_at)
    except (ValueError, StopIteration):
        return None
    head = lines[:diff_at]
    file_at = max((i for i, ln in enumerate(head) if ln.startswith("File: ")), default=0)
    examples = head[:file_at]
    return examples, head[file_at:] + [DIFF_HEADER], lines[diff_at + 1 : code_at], lines[code_at:]


def shrink_prompt(prompt: str) -> str | None:
    """The same prompt one step smaller, or None when nothing is left to cut."""
    parts = _split(prompt)
    if parts is None:
        return None
    examples, head, hunk, code = parts
    body = [ln for ln in hunk if not ln.startswith("@@")]
    header = [ln for ln in hunk[:1] if ln.startswith("@@")]
    if len(body) > 1:  # the hunk's oldest half goes; its last line, the focus, stays
        hunk = header + body[len(body) // 2 :]
    else:
        title, rows = code[:1], code[1:]
        focus = next((i for i, ln in enumerate(rows) if ln.startswith(">>")), len(rows) // 2)
        if len(rows) > 1:  # keep the half of the code window nearest the focus line
            keep = max(1, len(rows) // 2)
            start = min(max(0, focus - keep // 2), len(rows) - keep)
            code = title + rows[start : start + keep]
        elif examples:  # then the past comments, the least similar (last) first
            items = [ln for ln in examples if ln.startswith("- ")]
            examples = [EXAMPLES_HEADER, *items[:-1], ""] if len(items) > 1 else []
        else:  # last, the lines themselves: 240 emoji or CJK characters are hundreds of tokens
            lines = header + body + rows
            shorter = _halve_longest(lines)
            if shorter is None:
                return None
            n = len(header) + len(body)
            hunk, code = shorter[:n], title + shorter[n:]
    return "\n".join(examples + head + hunk + code)


def _halve_longest(lines: list[str]) -> list[str] | None:
    """`lines` with the longest one cut to half its length (None when every line is already short).
    Its start stays: the `>>  12 | ` of a code line, the sign of a diff line."""
    longest = max(range(len(lines)), key=lambda i: len(lines[i]), default=None)
    if longest is None or len(lines[longest]) <= MIN_LINE_CHARS:
        return None
    text = lines[longest].removesuffix(" …")
    return lines[:longest] + [clip(text, max(MIN_LINE_CHARS, len(text) // 2))] + lines[longest + 1 :]


def fit_prompt(prompt: str, fits: Callable[[str], bool]) -> str | None:
    """`prompt`, shrunk until `fits` says it fits (None when it never does): the first of its shrink
    steps that fits. Each step is smaller than the last, so the steps are searched (galloping, then
    halving) rather than each tokenized in turn: a long hunk cut line by line takes dozens of steps,
    and asking `fits` (a tokenizer) of each cost as much as the model's pass over the prompt."""
    steps: list[str | None] = [prompt]

    def step(k: int) -> str | None:
        while len(steps) <= k and steps[-1] is not None:
            steps.append(shrink_prompt(steps[-1]))
        return steps[k] if k < len(steps) else None

    if fits(prompt):
        return prompt
    lo, hi = 0, 1  # step `lo` does not fit; find a step that does (or the end of the steps)
    while (current := step(hi)) is not None and not fits(current):
        lo, hi = hi, hi * 2
    if current is None:
        hi = len(steps) - 1  # the first step that is None: nothing is left to cut
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fits(step(mid)):
            hi = mid
        else:
            lo = mid
    return step(hi)


def messages(reviewer: str, repo: str, user: str, response: str | None = None, style: str = "full") -> list[dict]:
    msgs = [{"role": "system", "content": system_prompt(reviewer, repo, style)}, {"role": "user", "content": user}]
    if response is not None:
        msgs.append({"role": "assistant", "content": response})
    return msgs
