"""The rules the Dagster asset checks apply (defs: assets/checks.py), as plain functions: each takes
what an asset produced and says, with numbers, whether it is fit for what comes after it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Verdict:
    check: str
    passed: bool
    summary: str  # one sentence, for the UI and the run's log
    metadata: dict = field(default_factory=dict)
