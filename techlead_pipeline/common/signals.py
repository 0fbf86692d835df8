"""Undo signal dispositions a process may inherit ignored.

A shell starts background jobs with SIGINT ignored, and Dagster maps SIGTERM onto whatever SIGINT's
handler is (`dagster._utils.interrupts`), so a process running Dagster code from such a job ends up
with SIGTERM ignored too — and every child it starts (the stand-in, `dagster dev`) inherits that, so
SIGTERM no longer stops them. Call this at the start of a process that starts others.
"""

from __future__ import annotations

import signal


def restore_interrupt_signals() -> None:
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGTERM) == signal.SIG_IGN:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
