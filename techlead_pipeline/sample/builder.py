"""Builds the bundled sample fixture: a small billing library with two years of pull requests,
one lead reviewer with a recognisable voice, other reviewers, replies, outdated comments and a
bot — deterministically (fixed seed, fixed commit dates, fixed identities), so commit SHAs and
every record are the same on every machine.

Run: `techlead build-sample --out DIR` (the demo and the tests call `build_sample`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from ..gitcmd import git_env, git_text, run_git
from ..github_standin.pull_diffs import diff_position, hunk_up_to, pull_diff
from .smells import BODY_SMELLS, DEF_SMELLS, FILLERS, LEAD_PRAISE, NOUNS, SMELLS_BY_ID, VERBS, make_context

OWNER = "acme-labs"
REPO = "billing_core.py"
LEAD = "mira-kovacs"
BOT_LOGIN = "tech-lead-bot"
APP_ID = 4242
INSTALLATION_ID = 777
T0 = datetime(2024, 11, 4, 9, 0, tzinfo=timezone.utc)

USERS = [
    {"login": LEAD, "id": 1001, "type": "User", "name": "Mira Kovacs"},
    {"login": "tomas-b", "id": 1002, "type": "User", "name": "Tomas Berg"},
    {"login": "priya-r", "id": 1003, "type": "User", "name": "Priya Raman"},
    {"login": "dev-jonah", "id": 1004, "type": "User", "name": "Jonah Lee"},
    {"login": "li-wei", "id": 1005, "type": "User", "name": "Li Wei"},
    {"login": "new-hire", "id": 1006, "type": "User", "name": "New Hire"},
    {"login": "sam-okafor", "id": 1007, "type": "User", "name": "Sam Okafor"},
    {"login": "lint-bot[bot]", "id": 1008, "type": "Bot", "name": "lint-bot"},
    {"login": BOT_LOGIN, "id": 1009, "type": "User", "name": "Tech Lead Bot"},
    {"login": OWNER, "id": 1010, "type": "Organization", "name": "ACME Labs"},
]
COLLABORATORS = {
    LEAD: "admin",
    "tomas-b": "write",
    "priya-r": "write",
    "dev-jonah": "write",
    "li-wei": "write",
    "new-hire": "write",
    BOT_LOGIN: "write",
}
AUTHORS = ("dev-jonah", "li-wei", "tomas-b", "priya-r")
MODULES = ("invoices", "payments", "ledger", "refunds", "reports", "customers")
LINT_MESSAGES = (
    "flake8: `E501` line too long (104 > 99 characters)",
    "ruff: `F841` local variable is assigned to but never used",
    "mypy: Function is missing a return type annotation  [no-untyped-def]",
)
REPLIES = (
    "done",
    "good catch — fixed",
    "fixed in the next commit",
    "ah, right. will do",
    "Done.",
    "makes sense, updated",
)


@dataclass
class SampleSpec:
    seed: int = 7
    pr_count: int = 52
    canary: str | None = None  # planted as a comment line in every generated function (privacy tests)


@dataclass
class _Comment:
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
class _Pull:
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


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _crc_texts() -> list[str]:
    raw = resources.files("techlead_pipeline.sample").joinpath("data/crc_py.json.gz").read_bytes()
    rows = json.loads(gzip.decompress(raw))
    texts = [r["comment"].strip() for r in rows]
    return [t for t in texts if 15 <= len(t) <= 220 and "```" not in t and "@" not in t]


class _Repo:
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


def _module_header(module: str) -> str:
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


def _png(seed: int) -> bytes:
    # A tiny but genuine PNG header followed by deterministic bytes: binary to git (NUL bytes).
    rng = random.Random(seed)
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(600))


class _FunctionWriter:
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


def build_sample(dest: Path | str, spec: SampleSpec | None = None) -> Path:
    """Writes the fixture folder `dest` (replacing it) and returns it."""
    spec = spec or SampleSpec()
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    repo_dir = dest / "repos" / OWNER / REPO
    repo_dir.mkdir(parents=True)
    rng = random.Random(spec.seed)
    crc = _crc_texts()
    writer = _FunctionWriter(rng, spec.canary)
    with tempfile.TemporaryDirectory(prefix="techlead-sample-") as tmp:
        work = _Repo(Path(tmp) / "work")
        pulls, comments, reviews = _build_history(work, rng, crc, writer, spec)
        bare = repo_dir / "repository.git"
        run_git(["clone", "-q", "--bare", str(work.path), str(bare)])
        for pr in pulls:
            run_git(["update-ref", f"refs/pull/{pr.number}/head", pr.commits[-1]], bare)
        run_git(["config", "uploadpack.allowFilter", "true"], bare)
        run_git(["config", "uploadpack.allowAnySHA1InWant", "true"], bare)
    _write_records(dest, repo_dir, pulls, comments, reviews, rng)
    return dest


def _build_history(work: _Repo, rng: random.Random, crc: list[str], writer: _FunctionWriter, spec: SampleSpec):
    when = T0 - timedelta(days=30)
    for module in MODULES:
        lines, _ = writer.function([])
        work.write(f"billing_core/{module}.py", _module_header(module) + "\n\n" + "\n".join(lines) + "\n")
    work.write("billing_core/__init__.py", '"""ACME billing core."""\n\n__version__ = "1.0.0"\n')
    work.write(
        "billing_core/util.py",
        '"""Shared helpers."""\n\n\ndef build_entries(batch):\n    return list(batch)\n\n\n'
        "def compute_discount(customer_id, total):\n    return 0\n\n\nclass _Retry:\n    def wait(self):\n"
        "        return None\n\n\nretry_policy = _Retry()\n",
    )
    legacy = [
        '"""CSV export kept for the old finance dashboard."""',
        "",
        "import csv",
        "",
        "",
        "def export_csv(rows, path):",
        '    with open(path, "w", newline="") as fh:',
        "        writer = csv.writer(fh)",
        "        for row in rows:",
        "            writer.writerow(row)",
        "    return path",
        "",
    ]
    work.write("billing_core/legacy_export.py", "\n".join(legacy))
    work.write("docs/logo.png", _png(1))
    work.write("README.md", "# billing_core\n\nInvoices, payments and the ledger for ACME.\n")
    work.write(
        "tests/test_invoices.py",
        "from billing_core import invoices\n\n\ndef test_module_loads():\n    assert invoices.CENT\n",
    )
    work.commit("Initial import of billing_core", when, "tomas-b")

    pulls: list[_Pull] = []
    comments: list[_Comment] = []
    reviews: list[dict] = []
    n_total = spec.pr_count
    own_prs = {9, 21, 33, 42}
    open_from = n_total - 3  # the last four pull requests stay open
    demo_pr, big_pr = n_total - 1, n_total
    for number in range(1, n_total + 1):
        created = T0 + timedelta(days=2 * number, hours=3)
        author = LEAD if number in own_prs else AUTHORS[(number * 7 + rng.randint(0, 3)) % len(AUTHORS)]
        if number in (demo_pr,):
            author = "dev-jonah"
        if number == big_pr:
            author = "li-wei"
        base = work.head()
        branch = f"feature/pr-{number}"
        work.git("checkout", "-q", "-b", branch)
        pr = _Pull(number, "", author, branch, base, created)
        targets: list[tuple[str, int, str, dict]] = []  # (path, line, smell id, ctx)
        extra_targets: list[tuple[str, int, str, str]] = []  # (path, line, side, body) special comments
        title, pr_targets = _edit_for_pull(work, rng, writer, number, demo_pr, big_pr, extra_targets)
        targets.extend(pr_targets)
        pr.title = title
        first = work.commit(f"{title} (#{number})", created - timedelta(hours=1), author)
        pr.commits.append(first)
        if number >= open_from:
            pr.state = "open"
        reviewed = number not in (demo_pr, big_pr)
        new_comments: list[_Comment] = []
        if reviewed:
            new_comments = _review(work, rng, crc, pr, targets, extra_targets, first)
        # Some authors push a fix commit that changes a commented line: those comments go outdated.
        fixable = [c for c in new_comments if c.user == LEAD and c.smell_key and c.smell_key[2] is not None]
        if fixable and rng.random() < 0.3 and number < open_from:
            fix = rng.choice(fixable)
            path, line, sid, ctx = fix.smell_key
            smell = SMELLS_BY_ID[sid]
            file_lines = work.read_lines(path)
            if smell.on_def:
                file_lines[line - 1] = (
                    file_lines[line - 1].replace(f", {ctx['param']}=[]", f", {ctx['param']}=None")
                    if sid == "mutable_default"
                    else file_lines[line - 1].replace(
                        "(customer_id, items):", "(customer_id: str, items: list) -> dict:"
                    )
                )
            elif len(smell.fixed) == len(smell.lines):
                start = line - 1 - smell.anchor
                for i, fixed_line in enumerate(smell.render(ctx, fixed=True)):
                    file_lines[start + i] = "    " + fixed_line
            work.write(path, "\n".join(file_lines))
            second = work.commit(f"Address review on #{number}", created + timedelta(days=1), author)
            pr.commits.append(second)
            fix.outdated = True
        for c in new_comments:
            c.commit = pr.commits[-1]
        comments.extend(new_comments)
        review_ids = {}
        for c in new_comments:
            if c.reply_to is None and c.user not in review_ids:
                rid = 500_000 + len(reviews) + 1
                review_ids[c.user] = rid
                reviews.append(
                    {
                        "id": rid,
                        "pull_number": number,
                        "user": c.user,
                        "body": "",
                        "state": "COMMENTED",
                        "commit_id": pr.commits[0],
                        "submitted_at": _iso(c.created),
                    }
                )
        work.git("checkout", "-q", "main")
        if pr.state == "closed":
            merged = created + timedelta(days=1, hours=20)
            work.git(
                "merge",
                "-q",
                "--no-ff",
                "-m",
                f"Merge pull request #{number} from {branch}",
                branch,
                when=merged,
                author=LEAD,
            )
            pr.merged_at = pr.closed_at = merged
        pulls.append(pr)
    return pulls, comments, reviews


def _append_function(work: _Repo, path: str, fn_lines: list[str], anchors) -> list[tuple[str, int, str, dict]]:
    lines = work.read_lines(path)
    while lines and lines[-1] == "":
        lines.pop()
    start = len(lines) + 3  # two blank lines, then the function (1-based line numbers)
    lines += ["", ""] + fn_lines + [""]
    work.write(path, "\n".join(lines))
    return [(path, start + offset, sid, ctx) for sid, offset, ctx in anchors]


def _pick_smells(rng: random.Random, k: int) -> list[str]:
    chosen = [s.id for s in rng.sample(BODY_SMELLS, k=k)]
    if rng.random() < 0.55:
        chosen.append(rng.choice(DEF_SMELLS).id)
    return chosen


def _edit_for_pull(work, rng, writer, number, demo_pr, big_pr, extra_targets):
    targets: list[tuple[str, int, str, dict]] = []
    title = f"{rng.choice(VERBS).capitalize()} {rng.choice(NOUNS)}s"
    if number == big_pr:
        # A sweep that touches many separate places: thirty-odd hunks for the review benchmark.
        title = "Sweep: tidy totals across billing_core"
        for module in MODULES:
            path = f"billing_core/{module}.py"
            lines = work.read_lines(path)
            for i, line in enumerate(lines):
                if line.strip().startswith("total = sum(item.amount"):
                    lines[i] = line.replace(
                        "sum(item.amount for item in items)", "sum((item.amount for item in items), Decimal(0))"
                    )
                elif line.strip().startswith("validated = [item"):
                    lines[i] = line.replace("item.quantity > 0", "item.quantity >= 1")
                elif line.strip().startswith('"""') and line.endswith('for one customer."""'):
                    lines[i] = line.replace("for one customer.", "for a single customer.")
            work.write(path, "\n".join(lines))
        fn, anchors = writer.function(["float_money", "debug_print"])
        targets += _append_function(work, "billing_core/payments.py", fn, anchors)
        return title, targets
    if number == demo_pr:
        title = "Add refund batching and card retries"
        for module, smells in (
            ("refunds", ["float_money", "bare_except", "missing_types"]),
            ("payments", ["logs_card_number", "request_no_timeout"]),
            ("ledger", ["percent_format", "eq_none"]),
        ):
            fn, anchors = writer.function(smells)
            targets += _append_function(work, f"billing_core/{module}.py", fn, anchors)
        work.write("docs/logo.png", _png(3))
        work.git("mv", "tests/test_invoices.py", "tests/test_invoice_module.py")
        work.write("billing_core/settings.toml", '[billing]\ncurrency = "EUR"')  # no final newline
        return title, targets
    if number == 7:
        title = "Rename util module to helpers"
        work.git("mv", "billing_core/util.py", "billing_core/helpers.py")
        for module in MODULES:
            path = f"billing_core/{module}.py"
            text = (work.path / path).read_text().replace("billing_core.util import", "billing_core.helpers import")
            work.write(path, text)
        fn, anchors = writer.function(["debug_print", "eq_none"])
        targets += _append_function(work, "billing_core/helpers.py", fn, anchors)
        return title, targets
    if number == 13:
        title = "Drop the legacy CSV export"
        old = work.read_lines("billing_core/legacy_export.py")
        (work.path / "billing_core/legacy_export.py").unlink()
        line = next(i for i, text in enumerate(old, 1) if text.startswith("def export_csv"))
        extra_targets.append(
            (
                "billing_core/legacy_export.py",
                line,
                "LEFT",
                "is anything still calling `export_csv`? finance pulls that csv every monday — "
                "check with them before we drop it.",
            )
        )
        fn, anchors = writer.function(_pick_smells(rng, 3))
        targets += _append_function(work, "billing_core/reports.py", fn, anchors)
        return title, targets
    if number == 19:
        title = "New logo and receipt footer"
        work.write("docs/logo.png", _png(2))
        extra_targets.append(("docs/logo.png", 0, "FILE", "can we get the svg instead? this png is blurry on retina."))
        fn, anchors = writer.function(_pick_smells(rng, 3))
        targets += _append_function(work, "billing_core/invoices.py", fn, anchors)
        return title, targets
    if number == 25:
        title = "Add default rates file"
        work.write("billing_core/rates.csv", "currency,rate\nEUR,1.0\nUSD,1.08")  # no newline at EOF
    modules = rng.sample(MODULES, k=2 if rng.random() < 0.35 else 1)
    for module in modules:
        fn, anchors = writer.function(_pick_smells(rng, rng.randint(3, 5) if len(modules) == 1 else 2))
        targets += _append_function(work, f"billing_core/{module}.py", fn, anchors)
    if rng.random() < 0.7:  # routine edits nobody remarks on: the hunks a reviewer passes over
        _clean_edit(work, rng, [m for m in MODULES if m not in modules])
    return title, targets


CLEAN_EDITS = (
    ("for one customer.", "for a customer."),
    ("sum(item.amount for item in items)", "sum((item.amount for item in items), Decimal(0))"),
    ("item.quantity > 0]", "item.quantity >= 1]"),
    ('"processing %s for %s"', '"handling %s for %s"'),
)


def _clean_edit(work: _Repo, rng: random.Random, modules: list[str]) -> None:
    module = rng.choice(modules)
    path = f"billing_core/{module}.py"
    lines = work.read_lines(path)
    spots = [(i, old, new) for i, line in enumerate(lines) for old, new in CLEAN_EDITS if old in line]
    for i, old, new in rng.sample(spots, k=min(len(spots), rng.randint(1, 2))):
        lines[i] = lines[i].replace(old, new)
    work.write(path, "\n".join(lines))


def _review(work, rng, crc, pr: _Pull, targets, extra_targets, commit) -> list[_Comment]:
    out: list[_Comment] = []
    t = pr.created + timedelta(hours=5)

    def add(**kwargs) -> _Comment:
        nonlocal t
        t += timedelta(minutes=rng.randint(2, 15))
        c = _Comment(pull=pr.number, created=t, commit=commit, **kwargs)
        out.append(c)
        return c

    diff = pull_diff(work.path, pr.base_sha, commit)
    added_lines = [
        (path, line)
        for path, a in diff.anchors.items()
        if path.endswith(".py")
        for line in sorted(a["RIGHT"])
        if work.read_lines(path)[line - 1].strip()
    ]
    lead_reviews = pr.author != LEAD
    for path, line, sid, ctx in targets:
        smell = SMELLS_BY_ID[sid]
        if lead_reviews and rng.random() < 0.88:
            c = add(
                user=LEAD, body=smell.lead_comment(ctx, rng), path=path, line=line, smell_key=(path, line, sid, ctx)
            )
            if rng.random() < 0.03:  # a double-submitted comment: exact duplicate
                add(user=LEAD, body=c.body, path=path, line=line)
            if rng.random() < 0.3:
                add(user=pr.author, body=rng.choice(REPLIES), path=path, line=line, reply_to=id(c))
                if rng.random() < 0.3:
                    add(user=LEAD, body="thanks!", path=path, line=line, reply_to=id(c))
        elif smell.formal and pr.author != "priya-r" and rng.random() < 0.35:
            add(user="priya-r", body=smell.formal_comment(ctx, rng), path=path, line=line)
    for path, line, side, body in extra_targets:
        if side == "FILE":
            add(user=LEAD, body=body, path=path, line=None, subject_type="file")
        else:
            add(user=LEAD, body=body, path=path, line=line, side=side)
    if added_lines and rng.random() < 0.5 and pr.author != "tomas-b":
        path, line = rng.choice(added_lines)
        add(user="tomas-b", body=rng.choice(crc), path=path, line=line)
    if added_lines and rng.random() < 0.35 and pr.author != "priya-r":
        path, line = rng.choice(added_lines)
        add(user="priya-r", body=rng.choice(crc), path=path, line=line)
    if added_lines and rng.random() < 0.3:
        path, line = rng.choice(added_lines)
        add(user="lint-bot[bot]", body=rng.choice(LINT_MESSAGES), path=path, line=line)
    if lead_reviews and added_lines and rng.random() < 0.12:
        path, line = rng.choice(added_lines)
        add(user=LEAD, body=rng.choice(LEAD_PRAISE), path=path, line=line)
    if not lead_reviews and added_lines:
        # The lead explains her own change; the dataset must not learn from these.
        path, line = rng.choice(added_lines)
        add(
            user=LEAD,
            body="heads-up: this moves to the new ledger api next sprint, so I kept it minimal.",
            path=path,
            line=line,
        )
        for path, line, sid, ctx in targets[:2]:
            if rng.random() < 0.6:
                add(
                    user="priya-r",
                    body=SMELLS_BY_ID[sid].formal_comment(ctx, rng) if SMELLS_BY_ID[sid].formal else rng.choice(crc),
                    path=path,
                    line=line,
                )
    return out


def _write_records(dest: Path, repo_dir: Path, pulls: list[_Pull], comments: list[_Comment], reviews, rng) -> None:
    bare = repo_dir / "repository.git"
    by_pull = {p.number: p for p in pulls}
    ids: dict[int, int] = {}
    next_id = 2_000_001
    records = []
    for c in sorted(comments, key=lambda c: (c.created, c.pull)):
        ids[id(c)] = next_id
        c.id = next_id
        next_id += 1
    review_by = {(r["pull_number"], r["user"]): r["id"] for r in reviews}
    for c in sorted(comments, key=lambda c: c.id):
        pr = by_pull[c.pull]
        head = pr.commits[-1]
        original = pr.commits[0]
        first_diff = pull_diff(bare, pr.base_sha, original)
        outdated = c.outdated
        in_reply = ids.get(c.reply_to) if c.reply_to is not None else None
        rec = {
            "id": c.id,
            "pull_number": c.pull,
            "user": c.user,
            "body": c.body,
            "path": c.path,
            "commit_id": head,
            "original_commit_id": original,
            "diff_hunk": hunk_up_to(first_diff, c.path, c.line, c.side) if c.line else "",
            "line": None if outdated else c.line,
            "original_line": c.line,
            "side": c.side,
            "start_line": None,
            "original_start_line": None,
            "start_side": None,
            "position": None if outdated else diff_position(first_diff, c.path, c.line, c.side),
            "original_position": diff_position(first_diff, c.path, c.line, c.side),
            "subject_type": "file" if c.subject_type == "file" else "line",
            "in_reply_to_id": in_reply,
            "pull_request_review_id": review_by.get((c.pull, c.user)),
            "created_at": _iso(c.created),
            "updated_at": _iso(c.created),
            "author_association": "MEMBER" if c.user in COLLABORATORS else "NONE",
        }
        if rec["subject_type"] == "file":
            rec["side"] = None
        if in_reply is not None:
            parent = next(r for r in records if r["id"] == in_reply)
            rec.update(
                {
                    k: parent[k]
                    for k in ("diff_hunk", "line", "original_line", "side", "position", "original_position", "path")
                }
            )
        records.append(rec)
    pull_records = []
    for p in pulls:
        updated = p.closed_at or p.created + timedelta(days=1)
        pull_records.append(
            {
                "number": p.number,
                "title": p.title,
                "body": f"{p.title}.\n\nPart of the billing roadmap.",
                "user": p.author,
                "state": p.state,
                "created_at": _iso(p.created),
                "updated_at": _iso(updated),
                "closed_at": _iso(p.closed_at) if p.closed_at else None,
                "merged_at": _iso(p.merged_at) if p.merged_at else None,
                "head_ref": p.branch,
                "head_sha": p.commits[-1],
                "base_ref": "main",
                "base_sha": p.base_sha,
                "commits": len(p.commits),
            }
        )
    issue_comments = [
        {
            "id": 3_000_001 + i,
            "issue_number": p.number,
            "user": LEAD if p.author != LEAD else "tomas-b",
            "body": rng.choice(("LGTM once CI is green.", "merging, thanks!", "can you rebase on main?")),
            "created_at": _iso(p.created + timedelta(days=1, hours=2)),
            "updated_at": _iso(p.created + timedelta(days=1, hours=2)),
        }
        for i, p in enumerate(pulls)
        if p.state == "closed" and i % 3 == 0
    ]
    # An old mention from before the bot was installed: a new deployment must not act on it.
    issue_comments.append(
        {
            "id": 3_100_001,
            "issue_number": pulls[10].number,
            "user": "tomas-b",
            "body": f"@{BOT_LOGIN} {LEAD}",
            "created_at": _iso(pulls[10].created + timedelta(days=1)),
            "updated_at": _iso(pulls[10].created + timedelta(days=1)),
        }
    )
    _dump(repo_dir / "review_comments.json", records)
    _dump(repo_dir / "pulls.json", pull_records)
    _dump(repo_dir / "reviews.json", reviews)
    _dump(repo_dir / "issue_comments.json", issue_comments)
    _dump(repo_dir / "collaborators.json", COLLABORATORS)
    _dump(
        repo_dir / "repository.json",
        {
            "id": 880_001,
            "default_branch": "main",
            "private": True,
            "description": "Invoices, payments and the ledger for ACME.",
            "created_at": _iso(T0 - timedelta(days=30)),
            "pushed_at": _iso(pulls[-1].created),
        },
    )
    key_pem = resources.files("techlead_pipeline.sample").joinpath("data/standin_app_private_key.pem").read_bytes()
    public_pem = (
        serialization.load_pem_private_key(key_pem, password=None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    tokens = {_token(u["login"]): u["login"] for u in USERS if u["type"] == "User"}
    _dump(
        dest / "fixture.json",
        {
            "repositories": [f"{OWNER}/{REPO}"],
            "users": USERS,
            "tokens": tokens,
            "apps": [
                {
                    "id": APP_ID,
                    "slug": BOT_LOGIN,
                    "name": "Tech Lead Bot",
                    "owner": OWNER,
                    "public_key_pem": public_pem,
                    "installations": [{"id": INSTALLATION_ID, "account": OWNER, "repos": [f"{OWNER}/{REPO}"]}],
                }
            ],
        },
    )


def _token(login: str) -> str:
    """Deterministic fake personal access tokens, one per human user of the fixture."""
    return "ghp_" + hashlib.sha256(f"standin-token:{login}".encode()).hexdigest()[:36]


def app_private_key_pem() -> bytes:
    """The GitHub App private key of the sample fixture (a test credential, public by design)."""
    return resources.files("techlead_pipeline.sample").joinpath("data/standin_app_private_key.pem").read_bytes()


def _dump(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
