"""Debian's Chromium as the UI checks drive it, and the one dialog Dagster opens on a first visit."""

from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def first_visit_seen(dagster_home: Path) -> None:
    """Dagster's own record that an instance's first-visit dialog (the community/newsletter one) was
    shown: `$DAGSTER_HOME/.nux/nux.yaml` (dagster/_core/nux.py). Written before `dagster dev` starts,
    the dialog never opens, and its backdrop — which takes every click, and which a newer Chromium in
    CI did not let go of — never covers the page."""
    (Path(dagster_home) / ".nux").mkdir(parents=True, exist_ok=True)
    (Path(dagster_home) / ".nux" / "nux.yaml").write_text("seen: 1\n")


def dismiss_first_visit_dialog(page, wait_ms: int = 4000) -> None:
    """Should a first-visit dialog open all the same (first_visit_seen not written), close it: Skip,
    else Escape, and wait until its backdrop is gone."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    backdrop = page.locator(".bp5-overlay-backdrop")
    if not backdrop.count():
        return
    skip = page.get_by_role("button", name="Skip")
    if skip.count():
        skip.first.click()
    try:
        backdrop.first.wait_for(state="detached", timeout=wait_ms)
    except PlaywrightTimeout:
        page.keyboard.press("Escape")
        backdrop.first.wait_for(state="detached", timeout=wait_ms)
