"""Debian's Chromium as the UI checks drive it, and the one dialog Dagster opens on a first visit."""

from __future__ import annotations

import shutil

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


def dismiss_first_visit_dialog(page, wait_ms: int = 4000) -> None:
    """Dagster's first-visit community dialog opens a moment after the page loads, and its backdrop
    then takes every click: wait for it a little, close it, and wait until the backdrop is gone."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    skip = page.get_by_role("button", name="Skip")
    try:
        skip.wait_for(state="visible", timeout=wait_ms)
    except PlaywrightTimeout:
        pass
    else:
        skip.click()
    backdrop = page.locator(".bp5-overlay-backdrop")
    try:
        backdrop.first.wait_for(state="detached", timeout=wait_ms)
    except PlaywrightTimeout:
        page.keyboard.press("Escape")
        backdrop.first.wait_for(state="detached", timeout=wait_ms)
