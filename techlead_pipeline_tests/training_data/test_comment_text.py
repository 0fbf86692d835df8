from __future__ import annotations

import pytest

from techlead_pipeline.training_data.comment_text import is_empty_or_emoji, one_line


@pytest.mark.parametrize(
    "body,expected",
    [
        ("nit: f-string here please.", "nit: f-string here please."),
        ("first line\ncontinues here\n\nsecond paragraph", "first line continues here"),
        ("```suggestion\nx = 1\n```\nuse this instead", "use this instead"),
        ("> quoted text\n\nmy answer", "my answer"),
        ("look ![img](http://x/y.png) <b>bold</b> <!-- hidden -->", "look bold"),
    ],
)
def test_one_line(body, expected):
    assert one_line(body) == expected


def test_one_line_caps_length_at_a_word():
    text = one_line("word " * 200, max_chars=50)
    assert len(text) <= 51 and text.endswith("…") and "wor…" not in text


@pytest.mark.parametrize(
    "body,empty",
    [("👍", True), ("  :+1: 🎉 ", True), ("", True), ("!!", True), ("+1", False), ("LGTM", False), ("nit 👍", False)],
)
def test_empty_or_emoji(body, empty):
    assert is_empty_or_emoji(body) is empty
