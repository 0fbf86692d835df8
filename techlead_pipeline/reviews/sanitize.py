"""What may be posted: one trimmed line of plain review text.

Model output is untrusted (a diff can carry prompt-injection text). Before anything is posted:
HTML, HTML comments (which could forge our idempotency markers), images and links are removed,
bare URLs are dropped, @mentions are wrapped in code so nobody is pinged, block-level markdown is
flattened, secrets and tokens are redacted, and the result is one line of bounded length.
"""

from __future__ import annotations

import re

MAX_CHARS = 300
REDACTED = "[redacted]"

_HTML_COMMENT = re.compile(r"<!--.*?(-->|$)", re.S)
_FENCE = re.compile(r"```.*?(```|$)", re.S)
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_HTML_ELEMENTS = (
    "a|abbr|audio|b|base|blockquote|body|br|button|code|del|details|div|em|embed|form|h[1-6]|head|hr|"
    "html|i|iframe|img|input|ins|kbd|li|link|meta|object|ol|p|picture|pre|q|s|samp|script|"
    "section|select|source|span|strong|style|sub|summary|sup|svg|table|tbody|td|textarea|th|"
    "thead|tr|u|ul|video"
)
_TAG = re.compile(rf"</?(?:{_HTML_ELEMENTS})\b[^<>]*>?", re.I)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_REF_LINK = re.compile(r"\[([^\]]*)\]\[[^\]]*\]")
_URL = re.compile(r"\b(?:https?|ftp|file|javascript|data):[^\s)>\]]*", re.I)
_WWW = re.compile(r"\bwww\.[^\s)>\]]+", re.I)
_SECRETS = [
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}\b"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}\b"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S),
    re.compile(r"\bsk-[A-Za-z0-9]{20,}\b"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b"),  # JWTs
]
_MENTION = re.compile(r"(?<![\w`/])@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9_.-]+)?)")
_CODE_SPAN = re.compile(r"`[^`\n]*`")


def _outside_code(text: str, fn) -> str:
    """Applies `fn` to the parts of `text` that are not inline code spans."""
    out, last = [], 0
    for m in _CODE_SPAN.finditer(text):
        out.append(fn(text[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(fn(text[last:]))
    return "".join(out)


def sanitize_comment(text: str | None, secrets: tuple[str, ...] = (), max_chars: int = MAX_CHARS) -> str | None:
    """The postable form of `text`, or None when nothing postable is left."""
    if not text:
        return None
    for value in secrets:
        if value:
            text = text.replace(value, REDACTED)
    for pattern in _SECRETS:
        text = pattern.sub(REDACTED, text)
    text = _HTML_COMMENT.sub(" ", text)
    text = _FENCE.sub(" ", text)
    text = _IMAGE.sub(" ", text)  # alt text is one more place to smuggle words in
    text = _LINK.sub(lambda m: m.group(1), text)
    text = _REF_LINK.sub(lambda m: m.group(1), text)
    text = _URL.sub("", text)
    text = _WWW.sub("", text)
    text = " ".join(text.split())  # one line (before code spans are found: they never span lines)
    text = _outside_code(text, lambda part: _TAG_START.sub("&lt;", _TAG.sub(" ", part)))
    text = " ".join(text.split())  # one line
    text = re.sub(r"^[#>\-*+|=\s]+", "", text)  # no headings, quotes, lists or tables
    text = _outside_code(text, lambda part: _MENTION.sub(lambda m: f"`@{m.group(1)}`", part))
    if text.count("`") % 2:  # an unbalanced backtick would swallow the rest of the line into code
        text = text.replace("`", "'")
    text = text.strip(" -–—:;,")
    if len(text) > max_chars:
        text = text[:max_chars].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return text or None
