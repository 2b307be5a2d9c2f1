"""Shared browser fixtures: Debian's Chromium driven by Playwright's sync API.

Import the fixtures into a browser test module:
``from tests.browser_fixtures import chromium, login  # noqa: F401``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def chromium(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    """A headless Chromium for one test (Debian's package, no Playwright download).

    Playwright's sync API runs an event loop in this thread while it lives; the test's own ORM
    calls are still plain synchronous code, so Django's async guard is lifted for this test only
    (a session-wide browser would leak that into every later test and into ``check --deploy``).
    """
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def login(page: Page, base_url: str, username: str, password: str) -> None:
    """Log in through the real login form."""
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url(f"{base_url}/")


def annotation_page(
    chromium: Browser, base_url: str, username: str, image_id: int, width: int = 1400, height: int = 900
) -> tuple[BrowserContext, Page]:
    """A logged-in browser context with the annotation page of ``image_id`` open and ready."""
    from tests.conftest import PASSWORD

    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    login(page, base_url, username, PASSWORD)
    page.goto(f"{base_url}/images/{image_id}/annotate/")
    page.wait_for_selector("#annotator[data-ready='1']")
    return context, page
