"""The reviewer card: what the bot learned about one lead in one repository, to look at rather than
read — her most frequent concerns, five held-out comments side by side with what each system would
have posted, the scores, and the evaluation and validation-curve plots (embedded as base64 PNG:
Dagster has no image metadata type, and its markdown renders data URLs). Only text the lead and the
systems wrote is shown, every piece of it sanitised; never the code it sat on."""

from __future__ import annotations

import base64
import re
from collections import Counter
from pathlib import Path

from ..common.safe_markdown import code_span, sanitize_comment
from .quality import template_key
from .report import markdown_table

CONCERNS = 6
_STOP = set("the a an to of in on is it this that and or for be with as at by not no we you i can should would".split())


def concerns(comments: list[str], top: int = CONCERNS) -> list[tuple[str, int, str]]:
    """Her most frequent concerns: comments grouped by their two most telling words (stop words and
    code masked, as the template rule masks them), each group with its size and one example."""
    groups: dict[str, list[str]] = {}
    for text in comments:
        words = [
            w
            for w in re.findall(r"[a-z][a-z_]+", template_key(text))
            if w not in _STOP and w not in ("code", "quote", "url")
        ]
        key = " ".join(sorted(set(words[:4]))[:2]) or "(code only)"
        groups.setdefault(key, []).append(text)
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:top]
    return [(key, len(texts), Counter(texts).most_common(1)[0][0]) for key, texts in ranked]


def _image(path: Path | None, alt: str) -> str:
    if path is None or not Path(path).exists():
        return ""
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return f"![{alt}](data:image/png;base64,{data})"


def _cell(text: str | None) -> str:
    said = sanitize_comment(text or "") or ""
    return (said or "*(silent)*").replace("|", "/")


def reviewer_card(
    reviewer: str,
    repo: str,
    report: dict,
    train_comments: list[str],
    plot: Path | None,
    curve: Path | None,
    decision: str,
) -> str:
    lines = [f"### {code_span(reviewer)} in {code_span(repo)}", "", sanitize_comment(decision) or "", ""]
    lines += [
        "**Most frequent concerns** (her training comments, grouped)",
        "",
        "| concern | comments | for example |",
        "| --- | ---: | --- |",
    ]
    for key, n, example in concerns(train_comments):
        lines.append(f"| {code_span(key)} | {n} | {_cell(example)} |")
    samples = report.get("samples") or []
    if samples:
        systems = list(samples[0]["systems"])
        lines += ["", "**Five held-out comments: what she wrote, what each system would have posted**", ""]
        lines += [
            "| where | she wrote | " + " | ".join(systems) + " |",
            "| --- | --- | " + " | ".join("---" for _ in systems) + " |",
        ]
        for s in samples:
            where = code_span(f"{s['path']}:{s['line']}" if s.get("line") else s["path"])
            lines.append(
                f"| {where} | {_cell(s['lead'])} | " + " | ".join(_cell(s["systems"].get(n)) for n in systems) + " |"
            )
    lines += ["", "**Scores on the held-out pull requests**", "", markdown_table(report), ""]
    lines += [_image(plot, "evaluation"), "", _image(curve, "validation loss while training")]
    return "\n".join(lines).strip() + "\n"
