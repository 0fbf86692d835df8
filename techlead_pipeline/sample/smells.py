"""Code patterns the sample's reviewers react to, and how each of them phrases it.

The lead (mira-kovacs) has a recognisable voice: lower-case, terse, "nit:" for minor things,
backticks around code, an em dash, sometimes "(not blocking)" or "wdyt?", and a soft spot for
money and card-data rules. priya-r notices some of the same things but writes formally.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

Ctx = dict[str, str]


@dataclass(frozen=True)
class Smell:
    id: str
    lines: tuple[str, ...]  # statement lines (relative indentation), with {var}/{num}/... slots
    anchor: int  # index in `lines` of the line a reviewer comments on
    fixed: tuple[str, ...]  # the same statement after the author fixed it
    lead: tuple[str, ...]  # the lead's phrasings
    formal: tuple[str, ...] = ()  # priya-r's phrasings (she catches fewer)
    on_def: bool = False  # the smell is in the `def` line itself

    def render(self, ctx: Ctx, fixed: bool = False) -> list[str]:
        return [line.format(**ctx) for line in (self.fixed if fixed else self.lines)]

    def lead_comment(self, ctx: Ctx, rng: random.Random) -> str:
        return _finish(rng.choice(self.lead).format(**ctx), rng)

    def formal_comment(self, ctx: Ctx, rng: random.Random) -> str:
        return rng.choice(self.formal).format(**ctx)


def _finish(text: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.12 and not text.endswith("?"):
        return text + " (not blocking)"
    if roll < 0.2 and not text.endswith("?"):
        return text + " wdyt?"
    return text


SMELLS: tuple[Smell, ...] = (
    Smell(
        "percent_format",
        ('message = "{noun} %s for customer %s" % ({var}, customer_id)',),
        0,
        ('message = f"{noun} {{{var}}} for customer {{customer_id}}"',),
        (
            "nit: f-string here please — we dropped `%` formatting in the style guide.",
            "nit: `%`-formatting → f-string.",
            'could this be an f-string? reads better — `f"{noun} {{{var}}} ..."`',
        ),
        ("Could you please use an f-string here instead of %-formatting?",),
    ),
    Smell(
        "bare_except",
        ("try:", "    {var} = int(raw_{var})", "except:", "    {var} = 0"),
        2,
        ("try:", "    {var} = int(raw_{var})", "except ValueError:", "    {var} = 0"),
        (
            "bare `except:` also eats `KeyboardInterrupt` — catch `ValueError` here.",
            "which errors do we expect here? a bare `except` hides real bugs — narrow it to `ValueError`.",
            "no bare `except:` please — `except ValueError:` is what `int()` raises.",
        ),
        ("Please avoid a bare except; catching ValueError would be more precise.",),
    ),
    Smell(
        "debug_print",
        ('print("DEBUG", {var})',),
        0,
        ('logger.debug("%s", {var})',),
        (
            "leftover debug `print` — use `logger.debug` or drop it.",
            "no `print` in library code please; the module has a `logger`.",
        ),
        ("This print statement looks like leftover debugging output. Could you remove it?",),
    ),
    Smell(
        "mutable_default",
        (),
        0,
        (),
        (
            "mutable default argument — that list is shared between calls. default to `None` and build it inside.",
            "`{param}=[]` is evaluated once, at import — every call shares it. `None` + create inside please.",
        ),
        ("Mutable default arguments are shared across calls; please default to None.",),
        on_def=True,
    ),
    Smell(
        "missing_types",
        (),
        0,
        (),
        (
            "public function without type hints — we annotate everything under `billing_core/`.",
            "nit: annotations please (params and return) — mypy runs in strict mode on this package.",
            "missing type hints on `{name}` — what does it return?",
        ),
        ("Could you add type hints to this function signature?",),
        on_def=True,
    ),
    Smell(
        "magic_number",
        ("if {var}_age > {num}:", "    return None"),
        0,
        ("if {var}_age > {const}:", "    return None"),
        (
            "magic number — name `{num}` (`{const}`?) and put it at module level.",
            "what is `{num}`? a named constant (`{const}`) would say it.",
            "nit: pull `{num}` into `{const}` next to the other constants.",
        ),
        ("Consider extracting {num} into a named constant.",),
    ),
    Smell(
        "eq_none",
        ("if {var} == None:", "    return []"),
        0,
        ("if {var} is None:", "    return []"),
        (
            "nit: `is None`, not `== None`.",
            "nit: `{var} is None` — `==` can be overridden.",
        ),
        ("Please use `is None` for comparisons with None.",),
    ),
    Smell(
        "sleep_in_lib",
        ("time.sleep({small})",),
        0,
        ("retry_policy.wait()",),
        (
            "a `sleep` in library code makes every caller (and every test) slow — can this take a retry policy instead?",  # noqa: E501
            "`time.sleep({small})` here blocks the worker. inject a clock / retry policy so tests can skip it.",
        ),
    ),
    Smell(
        "open_without_with",
        ("fh = open({var}_path)", "rows = fh.readlines()"),
        0,
        ("with open({var}_path) as fh:", "    rows = fh.readlines()"),
        (
            "use `with open(...)` so the handle gets closed when this raises.",
            "this leaks the file handle on errors — `with` block please.",
        ),
        ("Please use a context manager so the file is closed.",),
    ),
    Smell(
        "request_no_timeout",
        ('resp = requests.get(f"{{BASE_URL}}/{noun}s/{{{var}}}")',),
        0,
        ('resp = requests.get(f"{{BASE_URL}}/{noun}s/{{{var}}}", timeout=HTTP_TIMEOUT)',),
        (
            "no `timeout=` on this call — a stuck server hangs the worker forever.",
            "needs a `timeout=`; we had an outage from exactly this in march.",
        ),
        ("Consider adding a timeout to this request.",),
    ),
    Smell(
        "assert_validation",
        ("assert {var}_amount > 0",),
        0,
        ("if {var}_amount <= 0:", '    raise ValueError("amount must be positive")'),
        (
            "`assert` disappears under `python -O` — raise `ValueError` for input validation.",
            "asserts are for invariants, not input checks. `raise ValueError(...)` please.",
        ),
        ("Assertions are stripped with -O; please raise a ValueError instead.",),
    ),
    Smell(
        "todo_no_ticket",
        ("# TODO: handle {noun} refunds",),
        0,
        ("# BILL-{ticket}: handle {noun} refunds",),
        (
            "TODO without a ticket never gets done — link one (BILL-xxx) or fix it now.",
            "nit: which ticket tracks this TODO?",
        ),
    ),
    Smell(
        "float_money",
        ("{var}_amount = float(raw_{var}_amount)",),
        0,
        ("{var}_amount = Decimal(raw_{var}_amount)",),
        (
            "money as `float` will bite us in rounding — `Decimal` please.",
            "`float` for an amount — we only do `Decimal` for money in this repo.",
            "`Decimal(raw_{var}_amount)`, never `float` for money — see the rounding bug in BILL-112.",
        ),
        ("Using float for currency can cause rounding errors; please consider Decimal.",),
    ),
    Smell(
        "dict_keys",
        ("for key in {var}_map.keys():", "    seen.add(key)"),
        0,
        ("for key in {var}_map:", "    seen.add(key)"),
        (
            "nit: iterate the dict directly — drop `.keys()`.",
            "nit: `for key in {var}_map:` is enough.",
        ),
    ),
    Smell(
        "len_zero",
        ("if len({var}_items) == 0:", "    return {{}}"),
        0,
        ("if not {var}_items:", "    return {{}}"),
        (
            "nit: `if not {var}_items:` reads better.",
            "nit: empty sequences are falsy — `if not {var}_items:`.",
        ),
    ),
    Smell(
        "logs_card_number",
        ('logger.info("charging card %s", card_number)',),
        0,
        ('logger.info("charging card ending %s", card_number[-4:])',),
        (
            "this logs the full card number — PCI says no. mask it (`card_number[-4:]`) or drop it.",
            "full PAN in the logs! last four digits at most, please.",
        ),
        ("Logging the full card number is a compliance problem; please mask it.",),
    ),
)

SMELLS_BY_ID = {s.id: s for s in SMELLS}
BODY_SMELLS = tuple(s for s in SMELLS if not s.on_def)
DEF_SMELLS = tuple(s for s in SMELLS if s.on_def)

# Clean statements that fill out function bodies; nobody comments on these.
FILLERS: tuple[tuple[str, ...], ...] = (
    ("total = sum(item.amount for item in items)",),
    ("validated = [item for item in items if item.quantity > 0]",),
    ('result = {{"customer": customer_id, "{noun}": {var}}}',),
    ('logger.debug("processing %s for %s", "{noun}", customer_id)',),
    ("seen: set[str] = set()",),
    ("discount = compute_discount(customer_id, total)",),
    ("rounded = total.quantize(CENT, rounding=ROUND_HALF_EVEN)",),
    ("entries.extend(build_entries({var}))",),
)

CONSTANTS = {
    "86400": "SECONDS_PER_DAY",
    "3600": "SECONDS_PER_HOUR",
    "30": "DAYS_PER_INVOICE_PERIOD",
    "90": "REFUND_WINDOW_DAYS",
    "0.029": "CARD_FEE_RATE",
    "1.2": "VAT_MULTIPLIER",
    "500": "MAX_LINE_ITEMS",
}

LEAD_PRAISE = ("nice — much easier to follow now.", "👍", "love this, thanks for the tests.")

VERBS = (
    "compute",
    "apply",
    "reconcile",
    "export",
    "collect",
    "settle",
    "refund",
    "validate",
    "schedule",
    "summarize",
    "archive",
    "notify",
    "match",
    "split",
    "merge",
    "charge",
)
NOUNS = (
    "invoice",
    "payment",
    "ledger",
    "refund",
    "statement",
    "credit",
    "payout",
    "tax",
    "subscription",
    "discount",
    "dispute",
    "receipt",
)
VARS = ("invoice_id", "payment", "entry", "refund", "statement", "credit_note", "payout", "batch", "line", "period")


def make_context(rng: random.Random, name: str) -> Ctx:
    num = rng.choice(sorted(CONSTANTS))
    noun = rng.choice(NOUNS)
    var = rng.choice(VARS)
    return {
        "name": name,
        "noun": noun,
        "var": var,
        "num": num,
        "const": CONSTANTS[num],
        "small": str(rng.choice((1, 2, 5))),
        "ticket": str(rng.randint(100, 999)),
        "param": rng.choice(("entries", "tags", "extra_fees")),
    }
