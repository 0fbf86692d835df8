"""The one rule for characters nobody sees, used wherever the bot reads what people typed.

Copy and paste, phones and right-to-left editors bring characters along that render as nothing:
zero-width spaces and joiners, the byte-order mark, soft hyphens, bidi embeddings, overrides and
isolates (U+202A-U+202E, U+2066-U+2069), the Arabic letter mark (U+061C), the Mongolian vowel
separator (U+180E). Unicode files all of these under the general category Cf ("format"); the bidi
controls are named as well, so the rule does not depend on the Unicode version Python ships. A few
default-ignorable letters that draw nothing (the Hangul fillers, the combining grapheme joiner,
two Khmer inherent vowels) hide inside words the same way and are treated alike.

Mentions, replies and the sanitiser all call `is_invisible` / `without_invisible`, so "is the bot
named" and "is this a username" see the same text a reader sees.
"""

from __future__ import annotations

import unicodedata

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_BLANK_LETTERS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0")


def is_invisible(ch: str) -> bool:
    """A format character (Cf), a bidi control, or a letter that draws nothing."""
    return ch in BIDI_CONTROLS or ch in _BLANK_LETTERS or unicodedata.category(ch) == "Cf"


def without_invisible(text: str) -> str:
    """`text` with every invisible character removed (whitespace and everything visible kept)."""
    if text.isascii():
        return text
    return "".join(ch for ch in text if not is_invisible(ch))
