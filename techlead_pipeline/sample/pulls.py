"""The sample's pull requests: what each changes, and what the reviewers say about it."""

from __future__ import annotations

import random
from datetime import timedelta

from ..github_standin.pull_diffs import pull_diff
from .people import (
    LEAD,
    LINT_MESSAGES,
    MODULES,
    REPLIES,
)
from .smells import BODY_SMELLS, DEF_SMELLS, LEAD_PRAISE, NOUNS, SMELLS_BY_ID, VERBS
from .workspace import Comment, Pull, WorkRepo, png


def append_function(work: WorkRepo, path: str, fn_lines: list[str], anchors) -> list[tuple[str, int, str, dict]]:
    lines = work.read_lines(path)
    while lines and lines[-1] == "":
        lines.pop()
    start = len(lines) + 3  # two blank lines, then the function (1-based line numbers)
    lines += ["", ""] + fn_lines + [""]
    work.write(path, "\n".join(lines))
    return [(path, start + offset, sid, ctx) for sid, offset, ctx in anchors]


def pick_smells(rng: random.Random, k: int) -> list[str]:
    chosen = [s.id for s in rng.sample(BODY_SMELLS, k=k)]
    if rng.random() < 0.55:
        chosen.append(rng.choice(DEF_SMELLS).id)
    return chosen


def edit_for_pull(work, rng, writer, number, demo_pr, big_pr, extra_targets):
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
        targets += append_function(work, "billing_core/payments.py", fn, anchors)
        return title, targets
    if number == demo_pr:
        title = "Add refund batching and card retries"
        for module, smells in (
            ("refunds", ["float_money", "bare_except", "missing_types"]),
            ("payments", ["logs_card_number", "request_no_timeout"]),
            ("ledger", ["percent_format", "eq_none"]),
        ):
            fn, anchors = writer.function(smells)
            targets += append_function(work, f"billing_core/{module}.py", fn, anchors)
        work.write("docs/logo.png", png(3))
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
        targets += append_function(work, "billing_core/helpers.py", fn, anchors)
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
        fn, anchors = writer.function(pick_smells(rng, 3))
        targets += append_function(work, "billing_core/reports.py", fn, anchors)
        return title, targets
    if number == 19:
        title = "New logo and receipt footer"
        work.write("docs/logo.png", png(2))
        extra_targets.append(("docs/logo.png", 0, "FILE", "can we get the svg instead? this png is blurry on retina."))
        fn, anchors = writer.function(pick_smells(rng, 3))
        targets += append_function(work, "billing_core/invoices.py", fn, anchors)
        return title, targets
    if number == 25:
        title = "Add default rates file"
        work.write("billing_core/rates.csv", "currency,rate\nEUR,1.0\nUSD,1.08")  # no newline at EOF
    modules = rng.sample(MODULES, k=2 if rng.random() < 0.35 else 1)
    for module in modules:
        fn, anchors = writer.function(pick_smells(rng, rng.randint(3, 5) if len(modules) == 1 else 2))
        targets += append_function(work, f"billing_core/{module}.py", fn, anchors)
    if rng.random() < 0.7:  # routine edits nobody remarks on: the hunks a reviewer passes over
        clean_edit(work, rng, [m for m in MODULES if m not in modules])
    return title, targets


CLEAN_EDITS = (
    ("for one customer.", "for a customer."),
    ("sum(item.amount for item in items)", "sum((item.amount for item in items), Decimal(0))"),
    ("item.quantity > 0]", "item.quantity >= 1]"),
    ('"processing %s for %s"', '"handling %s for %s"'),
)


def clean_edit(work: WorkRepo, rng: random.Random, modules: list[str]) -> None:
    module = rng.choice(modules)
    path = f"billing_core/{module}.py"
    lines = work.read_lines(path)
    spots = [(i, old, new) for i, line in enumerate(lines) for old, new in CLEAN_EDITS if old in line]
    for i, old, new in rng.sample(spots, k=min(len(spots), rng.randint(1, 2))):
        lines[i] = lines[i].replace(old, new)
    work.write(path, "\n".join(lines))


def review_pull(work, rng, crc, pr: Pull, targets, extra_targets, commit) -> list[Comment]:
    out: list[Comment] = []
    t = pr.created + timedelta(hours=5)

    def add(**kwargs) -> Comment:
        nonlocal t
        t += timedelta(minutes=rng.randint(2, 15))
        c = Comment(pull=pr.number, created=t, commit=commit, **kwargs)
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
