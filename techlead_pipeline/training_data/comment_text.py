"""Turning a review comment body into the one line the bot would post."""

from __future__ import annotations

import re
import unicodedata

from ..common.invisible_text import without_invisible

_FENCE = re.compile(r"```.*?(```|$)", re.S)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_SHORTCODE = re.compile(r":[a-z0-9_+-]+:")
MAX_CHARS = 400


def one_line(body: str, max_chars: int = MAX_CHARS) -> str:
    """The comment's first paragraph of prose: no code blocks, quotes, images or HTML."""
    text = _HTML_COMMENT.sub(" ", without_invisible(body or ""))
    text = _FENCE.sub(" ", text)
    text = _IMAGE.sub(" ", text)
    text = _TAG.sub(" ", text)
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    prose = next((p for p in paragraphs if not p.lstrip().startswith(">")), "")
    prose = " ".join(line for line in prose.split("\n") if not line.lstrip().startswith(">"))
    prose = re.sub(r"\s+", " ", prose).strip()
    if len(prose) > max_chars:
        cut = prose[:max_chars].rsplit(" ", 1)[0]
        prose = cut.rstrip(",;:") + "…"
    return prose


def is_empty_or_emoji(body: str) -> bool:
    """Nothing left once whitespace, punctuation, symbols (emoji) and `:shortcodes:` are removed."""
    for ch in _SHORTCODE.sub("", body or ""):
        cat = unicodedata.category(ch)
        if cat[0] in "LN":
            return False
    return True
