"""Builds the bundled sample fixture: a small billing library with two years of pull requests,
one lead reviewer with a recognisable voice, other reviewers, replies, outdated comments and a
bot — deterministically (fixed seed, fixed commit dates, fixed identities), so commit SHAs and
every record are the same on every machine.

Run: `techlead build-sample --out DIR` (the demo and the tests call `build_sample`).
"""

from __future__ import annotations

import random
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from ..common.gitcmd import run_git
from .people import (  # noqa: F401 (the sample's names, imported from here)
    APP_ID,
    AUTHORS,
    BOT_LOGIN,
    COLLABORATORS,
    INSTALLATION_ID,
    LEAD,
    LINT_MESSAGES,
    MODULES,
    OWNER,
    REPLIES,
    REPO,
    T0,
    USERS,
)
from .pulls import edit_for_pull, review_pull
from .records import app_private_key_pem, write_records  # noqa: F401 (app_private_key_pem: for the demo and tests)
from .smells import SMELLS_BY_ID
from .workspace import Comment, FunctionWriter, Pull, SampleSpec, WorkRepo, crc_texts, iso, module_header, png


def build_sample(dest: Path | str, spec: SampleSpec | None = None) -> Path:
    """Writes the fixture folder `dest` (replacing it) and returns it."""
    spec = spec or SampleSpec()
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    repo_dir = dest / "repos" / OWNER / REPO
    repo_dir.mkdir(parents=True)
    rng = random.Random(spec.seed)
    crc = crc_texts()
    writer = FunctionWriter(rng, spec.canary)
    with tempfile.TemporaryDirectory(prefix="techlead-sample-") as tmp:
        work = WorkRepo(Path(tmp) / "work")
        pulls, comments, reviews = _build_history(work, rng, crc, writer, spec)
        bare = repo_dir / "repository.git"
        run_git(["clone", "-q", "--bare", str(work.path), str(bare)])
        for pr in pulls:
            run_git(["update-ref", f"refs/pull/{pr.number}/head", pr.commits[-1]], bare)
        run_git(["config", "uploadpack.allowFilter", "true"], bare)
        run_git(["config", "uploadpack.allowAnySHA1InWant", "true"], bare)
    write_records(dest, repo_dir, pulls, comments, reviews, rng)
    return dest


def _build_history(work: WorkRepo, rng: random.Random, crc: list[str], writer: FunctionWriter, spec: SampleSpec):
    when = T0 - timedelta(days=30)
    for module in MODULES:
        lines, _ = writer.function([])
        work.write(f"billing_core/{module}.py", module_header(module) + "\n\n" + "\n".join(lines) + "\n")
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
    work.write("docs/logo.png", png(1))
    work.write("README.md", "# billing_core\n\nInvoices, payments and the ledger for ACME.\n")
    work.write(
        "tests/test_invoices.py",
        "from billing_core import invoices\n\n\ndef test_module_loads():\n    assert invoices.CENT\n",
    )
    work.commit("Initial import of billing_core", when, "tomas-b")

    pulls: list[Pull] = []
    comments: list[Comment] = []
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
        pr = Pull(number, "", author, branch, base, created)
        targets: list[tuple[str, int, str, dict]] = []  # (path, line, smell id, ctx)
        extra_targets: list[tuple[str, int, str, str]] = []  # (path, line, side, body) special comments
        title, pr_targets = edit_for_pull(work, rng, writer, number, demo_pr, big_pr, extra_targets)
        targets.extend(pr_targets)
        pr.title = title
        first = work.commit(f"{title} (#{number})", created - timedelta(hours=1), author)
        pr.commits.append(first)
        if number >= open_from:
            pr.state = "open"
        reviewed = number not in (demo_pr, big_pr)
        new_comments: list[Comment] = []
        if reviewed:
            new_comments = review_pull(work, rng, crc, pr, targets, extra_targets, first)
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
                        "submitted_at": iso(c.created),
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
