"""What may be posted: one line of plain text and code spans, judged by how GitHub renders it.

Model output is untrusted (a diff can carry prompt-injection text), and so is everything we echo
back from GitHub (file names, logins, mention text). Patterns over the raw text miss what the
renderer decodes: entities (`&#64;x` is `@x` on the page), backslash escapes, emphasis around a
ping. So the text is parsed with a CommonMark parser (markdown-it-py), and only what a reader
would see is kept: the plain text of paragraphs, headings, list items and links, and inline code.
Images, raw HTML (HTML comments included, which could forge our idempotency markers), fenced code
and link targets are dropped. The result is emitted again as text in which every markdown
character is escaped, every `@name` sits in a code span (GitHub pings nobody inside code), bare
URLs are gone, and bidi and zero-width characters are removed. Finally the emitted line is parsed
once more and refused unless it renders to nothing but text and code.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

from markdown_it import MarkdownIt

from .invisible_text import is_invisible

log = logging.getLogger(__name__)

MAX_CHARS = 300
REDACTED = "[redacted]"

_SECRETS = [
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}\b"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}\b"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S),
    re.compile(r"\bsk-[A-Za-z0-9]{20,}\b"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b"),  # JWTs
]
# GitHub autolinks URLs with a scheme, `www.` hosts and e-mail addresses; a scheme alone
# (`javascript:`) is dropped too.
_URL = re.compile(
    r"(?:\b[A-Za-z][A-Za-z0-9+.-]{1,15}:/{1,3}|\bwww\.)[^\s<>`]*|\b(?:javascript|data|vbscript):\S*", re.I
)
# Anything GitHub could read as a mention of a user or a team, whatever precedes it, and references
# to issues (`#12`, `org/repo#12`, `GH-12`), which leave a back-link on the issue they name. GitHub
# finds both in the rendered text, so escaping cannot stop them; inside code they are inert.
_PING = re.compile(
    r"@[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?(?:/[A-Za-z0-9_.-]+)?"
    r"|(?:\b[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)?#\d+\b|\bGH-\d+\b"
)
_ALWAYS_ESCAPED = set("\\`*<>&~|$#")
# GitHub's renderer (cmark-gfm with its extensions), as near as markdown-it-py gets to it.
_MD = MarkdownIt("commonmark", {"linkify": False}).enable(["strikethrough", "table"])
_MARKER_PIECES = (("<!--", "<! --"), ("-->", "-- >"))


def _visible_char(ch: str) -> bool:
    # Invisible (invisible_text: Cf, bidi controls, blank letters); Cc: control characters;
    # Cs/Co/Cn: surrogates, private use, unassigned.
    return not is_invisible(ch) and unicodedata.category(ch) not in {"Cc", "Cs", "Co", "Cn"}


def _visible(text: str) -> str:
    return "".join(" " if ch.isspace() else ch for ch in text if ch.isspace() or _visible_char(ch))


def clean_characters(text: str) -> str:
    """One line of visible characters: whitespace folded to single spaces, invisible ones removed."""
    return " ".join(_visible(text).split())


@dataclass(frozen=True)
class _Piece:
    text: str
    code: bool = False


def code_span(value: object, max_chars: int = 200) -> str:
    """`value` shown verbatim as inline code, whatever it holds: a file name, a login, a user's text."""
    text = clean_characters(str(value))
    if len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    for piece, harmless in _MARKER_PIECES:
        text = text.replace(piece, harmless)
    if not text:
        return "` `"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _escape(text: str) -> str:
    # Brackets only make a link followed by `(` or `[`; "[redacted]" and "a[0]" stay readable.
    escaped_set = _ALWAYS_ESCAPED | (set("[]") if re.search(r"\]\s*[(\[]|\[\s*\]", text) else set())
    out = []
    for i, ch in enumerate(text):
        intraword = 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()
        image = ch == "!" and text[i + 1 : i + 2] == "["
        if ch in escaped_set or image or (ch == "_" and not intraword):
            out.append("\\" + ch)
        else:
            out.append(ch)
    escaped = "".join(out)
    # A line that starts like a list item, a quote, a heading or a setext underline would become one.
    escaped = re.sub(r"^(\s*)([-+=])", r"\1\\\2", escaped)
    return re.sub(r"^(\s*\d{1,9})([.)])", r"\1\\\2", escaped)


def _visible_pieces(text: str) -> list[_Piece]:
    """What a reader sees when GitHub renders `text`: text and inline code, in order."""
    pieces: list[_Piece] = []
    for block in _MD.parse(text):
        if block.type != "inline":
            if block.type.endswith("_close") or block.type in {"fence", "code_block", "html_block", "hr"}:
                pieces.append(_Piece(" "))
            continue
        skip = 0
        for token in block.children or []:
            if token.type == "link_open" and token.markup == "autolink":
                skip += 1
            elif token.type == "link_close" and skip:
                skip -= 1
            elif skip or token.type in {"image", "html_inline"}:
                continue
            elif token.type == "code_inline":
                pieces.append(_Piece(token.content, code=True))
            elif token.type in {"text", "text_special"}:
                pieces.append(_Piece(token.content))
            elif token.type in {"softbreak", "hardbreak"}:
                pieces.append(_Piece(" "))
        pieces.append(_Piece(" "))
    return pieces


def _neutralised(pieces: list[_Piece]) -> list[_Piece]:
    """URLs removed from the text and every ping moved into code."""
    out: list[_Piece] = []
    for piece in pieces:
        if piece.code:
            out.append(piece)
            continue
        text, last = _visible(_URL.sub(" ", piece.text)), 0
        for marker_piece, harmless in _MARKER_PIECES:  # "&lt;!--" is shown as "<!--": not one of ours either
            text = text.replace(marker_piece, harmless)
        for ping in _PING.finditer(text):
            out.append(_Piece(text[last : ping.start()]))
            out.append(_Piece(ping.group(0), code=True))
            last = ping.end()
        out.append(_Piece(text[last:]))
    return out


def _emit(pieces: list[_Piece], max_chars: int) -> str:
    out, used = [], 0
    for piece in pieces:
        text = clean_characters(piece.text) if piece.code else piece.text
        if piece.code and not text:
            continue
        room = max_chars - used
        if room <= 0:
            out.append("…")
            break
        if len(text) > room:
            if piece.code:
                out.append("…")
                break
            text = text[:room].rsplit(" ", 1)[0] + "…"
        out.append(code_span(text) if piece.code else _escape(text))
        used += len(text)
    return " ".join("".join(out).split())


def renders_as_plain_text(line: str) -> bool:
    """Does `line` render to nothing but text and inline code, with no ping and no link?"""
    blocks = _MD.parse(line)
    if [b.type for b in blocks] not in ([], ["paragraph_open", "inline", "paragraph_close"]):
        return False
    for token in blocks[1].children if blocks else []:
        if token.type == "code_inline":
            if "<!--" in token.content:
                return False
        elif token.type in {"text", "text_special"}:
            if _PING.search(token.content) or _URL.search(token.content):
                return False
            if any(not _visible_char(ch) for ch in token.content):
                return False
        elif token.type != "softbreak":
            return False
    return True


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    for value in secrets:
        if value:
            text = text.replace(value, REDACTED)
    for pattern in _SECRETS:
        text = pattern.sub(REDACTED, text)
    return text


def sanitize_comment(text: str | None, secrets: tuple[str, ...] = (), max_chars: int = MAX_CHARS) -> str | None:
    """The postable form of `text`, or None when nothing postable is left."""
    if not text:
        return None
    text = redact(text, secrets)
    text = "".join(ch for ch in text if ch.isspace() or _visible_char(ch))
    line = _emit(_neutralised(_visible_pieces(text)), max_chars).strip(" -–—:;,")
    line = re.sub(r"^\\[-+=]\s*", "", line).strip()  # a leftover list dash at the start says nothing
    if not line or line in {"…"}:
        return None
    if not renders_as_plain_text(line):
        log.warning("dropped a comment that would still render as markup: %r", line[:80])
        return None
    return line


_OUR_MARKER = re.compile(r"^<!-- techlead-reviewer mention=[A-Za-z0-9_.:-]+ kind=[a-z]+ -->\s*$")
_BLOCKS_WE_WRITE = {
    "paragraph_open", "paragraph_close", "inline", "bullet_list_open", "bullet_list_close",
    "list_item_open", "list_item_close", "table_open", "table_close", "thead_open", "thead_close",
    "tbody_open", "tbody_close", "tr_open", "tr_close", "th_open", "th_close", "td_open", "td_close",
}  # fmt: skip
_INLINE_WE_WRITE = {
    "text",
    "text_special",
    "code_inline",
    "softbreak",
    "strong_open",
    "strong_close",
    "em_open",
    "em_close",
}


def markup_problems(body: str) -> list[str]:
    """What in a body we composed would render as more than text, emphasis, lists, tables, code and
    our own marker: pings, links, images, HTML, invisible characters. Empty when it is safe to post."""
    problems = []
    for block in _MD.parse(body):
        if block.type == "html_block":
            if not _OUR_MARKER.match(block.content):
                problems.append(f"HTML block {block.content[:40]!r}")
        elif block.type not in _BLOCKS_WE_WRITE:
            problems.append(f"{block.type} block")
        for token in block.children or []:
            if token.type == "html_inline" and _OUR_MARKER.match(token.content):
                continue
            if token.type not in _INLINE_WE_WRITE:
                problems.append(f"{token.type} {token.content[:40]!r}")
            elif token.type == "code_inline":
                if "<!--" in token.content:
                    problems.append(f"a marker in code {token.content[:40]!r}")
            elif token.type in {"text", "text_special"}:
                for found in (_PING.search(token.content), _URL.search(token.content)):
                    if found:
                        problems.append(f"live {found.group(0)[:40]!r}")
                if any(not _visible_char(ch) for ch in token.content):
                    problems.append(f"invisible characters in {token.content[:40]!r}")
    return problems


def safe_body(body: str, tail: str = "") -> str:
    """`body` (markdown we composed from safe pieces) as it may be posted, with `tail` (our marker)
    after it. Should a piece have let markup through, the body is flattened to plain text instead."""
    problems = markup_problems(body)
    if problems:
        log.error("a composed body would render markup (%s); posting it as plain text", "; ".join(problems[:3]))
        body = sanitize_comment(body, max_chars=2000) or "(nothing to say)"
    return f"{body}\n\n{tail}" if tail else body
