"""Every prompt fits its model's context: lines are clipped where they are built, prompts shrink (the
hunk's oldest lines first, then the code farthest from the focus, then past comments) until the
tokenizer says they fit, and what never fits is named, not silently dropped."""

from __future__ import annotations

from techlead_pipeline.diffs.patch import parse_pull_files
from techlead_pipeline.reviews.backends.base import Unreviewed
from techlead_pipeline.reviews.backends.generative import TOO_LONG, GenerativeBackend
from techlead_pipeline.reviews.hunks import prepare
from techlead_pipeline.training_data.prompts import (
    MAX_LINE_CHARS,
    fit_prompt,
    messages,
    shrink_prompt,
    user_prompt,
    with_examples,
)

HUNK = "@@ -1,3 +1,30 @@\n" + "\n".join(f"+line_{i} = {i}" for i in range(30))
CODE = "\n".join(f"line_{i} = {i}" for i in range(1, 31))


def prompt() -> str:
    return user_prompt("pkg/a.py", "Python", HUNK, CODE, 1, 15, "RIGHT")


def test_a_minified_line_is_clipped_where_the_prompt_is_built():
    huge = "x = [" + "1, " * 15_000 + "]"
    text = user_prompt("min.js", "JavaScript", f"@@ -1 +1 @@\n+{huge}", huge, 1, 1, "RIGHT")
    assert len(text) < 4 * MAX_LINE_CHARS + 400


def test_shrinking_keeps_the_focus_line_and_cuts_the_hunk_first():
    p = prompt()
    smaller = shrink_prompt(p)
    assert "+line_29 = 29" in smaller and "+line_0 = 0" not in smaller  # the hunk's last line is the focus
    assert smaller.count("\n") < p.count("\n")
    assert ">>   15 | line_15 = 15" in smaller  # the code is untouched until the hunk is down to its last line


def test_fit_prompt_reaches_any_budget_it_can_and_says_when_it_cannot():
    p = with_examples(prompt(), ["nit: name it", "please add a test", "why not a dict?"])
    for budget in (2000, 800, 400, 200):
        fitted = fit_prompt(p, lambda t, b=budget: len(t) <= b)
        assert fitted is not None and len(fitted) <= budget
        assert ">>   15 | line_15 = 15" in fitted and "+line_29 = 29" in fitted
    assert fit_prompt(p, lambda t: len(t) <= 50) is None


def test_fit_prompt_finds_the_first_step_that_fits_asking_far_fewer_times():
    """The prompt it returns is the first of the shrink steps that fits, as walking them one by one
    would find; it asks `fits` (a tokenizer, in use) a logarithmic number of times."""
    emoji = "😀" * 400
    p = with_examples(
        user_prompt("i18n/zh.py", "Python", f"@@ -1 +1 @@\n+MSG = '{emoji}'", f"MSG = '{emoji}'", 1, 1, "RIGHT"),
        ["nit: name it", "please add a test", "why not a dict?"],
    )
    steps = [p]
    while (nxt := shrink_prompt(steps[-1])) is not None:
        steps.append(nxt)
    assert len(steps) > 12
    for budget in sorted({len(s.encode()) for s in steps}) + [10**6, 10]:
        asked = []

        def fits(t: str, b=budget) -> bool:
            asked.append(t)
            return len(t.encode()) <= b

        first = next((s for s in steps if len(s.encode()) <= budget), None)
        assert fit_prompt(p, fits) == first
        assert len(asked) <= 2 * len(steps).bit_length() + 2


def test_lines_of_many_tokens_a_character_are_cut_until_the_prompt_fits():
    """240 emoji or CJK characters, under the 240-character clip, are still hundreds of tokens: the
    lines themselves are halved, last, so such a hunk is still reviewed under a small budget."""
    emoji = "😀" * 400
    text = user_prompt("i18n/zh.py", "Python", f"@@ -1 +1 @@\n+MSG = '{emoji}'", f"MSG = '{emoji}'", 1, 1, "RIGHT")

    def tokens(t: str) -> int:  # a byte-level tokenizer's worst case: a token a byte
        return len(t.encode())

    fitted = fit_prompt(text, lambda t: tokens(t) <= 400)
    assert fitted is not None and tokens(fitted) <= 400
    assert ">>    1 | MSG = '😀" in fitted and "+MSG = '😀" in fitted  # the focus line stays, shortened
    assert fitted.count("😀") < 100
    assert fit_prompt(text, lambda t: tokens(t) <= 150) is None  # the headers alone do not fit: named, not sent


def test_past_comments_go_last():
    p = with_examples(prompt(), ["first", "second", "third"])
    steps = [p]
    while (nxt := shrink_prompt(steps[-1])) is not None:
        steps.append(nxt)
    with_all_code_gone = next(s for s in steps if s.count(" | ") == 1)
    assert "- third" in with_all_code_gone  # still there once the code is down to the focus line
    last_with_examples = [s for s in steps if "- first" in s][-1]
    assert "- second" not in last_with_examples  # the least similar went first, the nearest stays longest
    assert "Comments you left" not in steps[-1]


class _Sized(GenerativeBackend):
    """A backend with a context of `limit` characters; it answers with the prompt's length."""

    def __init__(self, limit: int):
        super().__init__("lead", "o/r")
        self.limit = limit
        self.seen: list[int] = []

    def fits(self, conversation):
        return sum(len(m["content"]) for m in conversation) <= self.limit

    def generate(self, conversations, speak=False):
        self.seen += [sum(len(m["content"]) for m in c) for c in conversations]
        return ["looks fine"] * len(conversations)


def test_no_prompt_exceeds_the_context_and_what_cannot_fit_is_named():
    files = [
        {"filename": "a.py", "status": "modified", "patch": HUNK},
        {"filename": "b.py", "status": "modified", "patch": "@@ -1 +1 @@\n-a\n+" + "y" * 100},
    ]
    hunks = prepare(parse_pull_files(files), lambda p: CODE if p == "a.py" else None).hunks
    roomy = _Sized(1200)
    roomy.review(hunks)
    assert roomy.seen and max(roomy.seen) <= 1200
    tight = _Sized(len(messages("lead", "o/r", "")[0]["content"]) + 10)
    results = tight.review(hunks)
    assert all(isinstance(r, Unreviewed) and r.reason == TOO_LONG for r in results) and not tight.seen


def test_real_tokenizer_budget_holds(tiny_base_model):
    """With a real tokenizer: the trainer's fitted prompts are never longer than max_seq_len."""
    from torchtune.data import Message

    from techlead_pipeline.adapters.torchtune_trainer import TorchtuneLoraTrainer
    from techlead_pipeline.adapters.trainer import ChatExample, LoraSettings

    tokenizer = tiny_base_model.tokenizer()
    trainer = TorchtuneLoraTrainer(tiny_base_model, LoraSettings(max_seq_len=160))
    long_prompt = with_examples(prompt(), ["past comment " * 5] * 3)
    samples, skipped = trainer.tokenize(tokenizer, [ChatExample("sys", long_prompt, "nit: shorter")])
    assert skipped == 0 and len(samples[0]["tokens"]) <= 160
    assert tokenizer.decode(samples[0]["tokens"]).endswith("nit: shorter")
    hopeless = ChatExample("sys", long_prompt, "word " * 400)  # the answer alone is too long
    assert trainer.tokenize(tokenizer, [hopeless]) == ([], 1)
    assert Message  # torchtune's messages are what the tokenizer reads
