"""Headless Chromium (Debian's), driven by Playwright, shared by the UI checks."""

from __future__ import annotations

import pytest

from techlead_pipeline_tests.ui.browser import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
