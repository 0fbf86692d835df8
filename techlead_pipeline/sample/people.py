"""Who and what the sample is about: its repository, its people, the App, the words they use."""

from datetime import datetime, timezone

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
