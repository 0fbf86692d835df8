"""The sample's working repository and its records while it is being built (builder.py)."""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path

from ..common.gitcmd import git_env, git_text, run_git
from .people import (
    T0,
)
from .smells import FILLERS, NOUNS, SMELLS_BY_ID, VERBS, make_context


@dataclass
class SampleSpec:
    seed: int = 7
    pr_count: int = 52
    canary: str | None = None  # planted as a comment line in every generated function (privacy tests)


@dataclass
class Comment:
    pull: int
    user: str
    body: str
    path: str
    line: int | None
    side: str = "RIGHT"
    commit: str = ""
    subject_type: str = "line"
    reply_to: int | None = None
    created: datetime = T0
    smell_key: tuple | None = None  # (path, line, smell id, ctx) the comment is about
    outdated: bool = False  # the line changed in a later commit of the pull request
    id: int = 0


@dataclass
class Pull:
    number: int
    title: str
    author: str
    branch: str
    base_sha: str
    created: datetime
    commits: list[str] = field(default_factory=list)
    state: str = "closed"
    merged_at: datetime | None = None
    closed_at: datetime | None = None


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def crc_texts() -> list[str]:
    raw = resources.files("techlead_pipeline.sample").joinpath("data/crc_py.json.gz").read_bytes()
    rows = json.loads(gzip.decompress(raw))
    texts = [r["comment"].strip() for r in rows]
    return [t for t in texts if 15 <= len(t) <= 220 and "```" not in t and "@" not in t]


class WorkRepo:
    """A working tree whose commits carry fixed dates, so SHAs are reproducible."""

    def __init__(self, path: Path):
        self.path = path
        run_git(["init", "-q", "-b", "main", str(path)])

    def git(self, *args: str, when: datetime | None = None, author: str | None = None) -> str:
        extra = {}
        if when is not None:
            stamp = when.strftime("%Y-%m-%dT%H:%M:%S+0000")
            extra.update(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
        if author is not None:
            extra.update(GIT_AUTHOR_NAME=author, GIT_AUTHOR_EMAIL=f"{author}@users.noreply.example")
        return git_text(list(args), self.path, env=git_env(extra))

    def write(self, rel: str, text: str | bytes) -> None:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")

    def read_lines(self, rel: str) -> list[str]:
        return (self.path / rel).read_text(encoding="utf-8").split("\n")

    def commit(self, message: str, when: datetime, author: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, when=when, author=author)
        return self.git("rev-parse", "HEAD").strip()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()


def module_header(module: str) -> str:
    return f'''"""{module.capitalize()} for billing_core."""

from __future__ import annotations

import logging
import time
from decimal import ROUND_HALF_EVEN, Decimal

import requests

from billing_core.util import build_entries, compute_discount, retry_policy

logger = logging.getLogger(__name__)

BASE_URL = "https://billing.internal.acme.example"
HTTP_TIMEOUT = 10
CENT = Decimal("0.01")
'''


def png(seed: int) -> bytes:
    # A tiny but genuine PNG header followed by deterministic bytes: binary to git (NUL bytes).
    rng = random.Random(seed)
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(600))


class FunctionWriter:
    def __init__(self, rng: random.Random, canary: str | None):
        self.rng = rng
        self.canary = canary
        self.used_names: set[str] = set()

    def name(self) -> str:
        while True:
            n = f"{self.rng.choice(VERBS)}_{self.rng.choice(NOUNS)}"
            if n not in self.used_names:
                self.used_names.add(n)
                return n
            n = f"{n}_{self.rng.randint(2, 99)}"
            if n not in self.used_names:
                self.used_names.add(n)
                return n

    def function(self, smells: list[str]) -> tuple[list[str], list[tuple[str, int, dict]]]:
        """Lines of a new function and (smell id, line offset, context) of each smell in it."""
        rng = self.rng
        name = self.name()
        ctx = make_context(rng, name)
        anchors: list[tuple[str, int, dict]] = []
        def_smell = next((s for s in smells if SMELLS_BY_ID[s].on_def), None)
        if def_smell == "mutable_default":
            signature = f"def {name}(customer_id: str, items: list, {ctx['param']}=[]) -> dict:"
        elif def_smell == "missing_types":
            signature = f"def {name}(customer_id, items):"
        else:
            signature = f"def {name}(customer_id: str, items: list) -> dict:"
        lines = [signature, f'    """{name.replace("_", " ").capitalize()} for one customer."""']
        if def_smell:
            anchors.append((def_smell, 0, ctx))
        if self.canary:
            lines.append(f"    # audit-tag: {self.canary}")
        blocks: list[tuple[str | None, list[str], int]] = []
        for sid in smells:
            smell = SMELLS_BY_ID[sid]
            if not smell.on_def:
                blocks.append((sid, smell.render(ctx), smell.anchor))
        for filler in rng.sample(FILLERS, k=rng.randint(2, 3)):
            blocks.append((None, [f.format(**ctx) for f in filler], 0))
        rng.shuffle(blocks)
        for sid, block, anchor in blocks:
            if sid is not None:
                anchors.append((sid, len(lines) + anchor, ctx))
            lines.extend("    " + b for b in block)
        lines.append('    return {"customer": customer_id, "items": len(items)}')
        return lines, anchors
