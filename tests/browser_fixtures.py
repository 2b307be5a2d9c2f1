"""Shared browser fixtures: Debian's Chromium driven by Playwright's sync API.

Import the fixtures into a browser test module:
``from tests.browser_fixtures import chromium, login  # noqa: F401``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class SharedChromium:
    """One Playwright driver and one Chromium for every browser test of a test process, started at the first.

    Starting both cost about 2 s of CPU per test (the driver's Node process, then Chromium), some 400 s over the suite
    on 2 cores. Each test still gets fresh browser contexts (cookies, storage, downloads of its own), closed after it.

    Playwright's sync API keeps its event loop as this thread's running loop while it lives, so Django's async guard
    fires on the test's ORM calls and ``asyncio.run``/``async_to_sync`` refuse to run. The loop is therefore made this
    thread's running loop only while a browser test runs (``lend``), and Django's guard is lifted for that test only:
    every other test sees a thread with no event loop, as before.
    """

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def lend(self) -> Browser:
        if self._playwright is None:
            self._playwright = sync_playwright().start()
            self._loop = asyncio.events._get_running_loop()
        asyncio.events._set_running_loop(self._loop)
        if self._browser is None or not self._browser.is_connected():  # first use, or a test crashed it
            self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        return self._browser

    def take_back(self) -> None:
        try:
            if self._browser is not None and self._browser.is_connected():
                for context in self._browser.contexts:
                    context.close()
        finally:
            asyncio.events._set_running_loop(None)

    def stop(self) -> None:
        if self._playwright is None:
            return
        asyncio.events._set_running_loop(self._loop)
        try:
            if self._browser is not None and self._browser.is_connected():
                self._browser.close()
        finally:
            self._playwright.stop()
            asyncio.events._set_running_loop(None)


@pytest.fixture
def chromium(monkeypatch: pytest.MonkeyPatch, shared_chromium: SharedChromium) -> Iterator[Browser]:
    """Headless Chromium for one test (Debian's package, no Playwright download), shared with the process's other
    browser tests: make pages with ``new_page``/``new_context``; they are closed after the test.

    Django's async guard is lifted for this test only (see ``SharedChromium``).
    """
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    browser = shared_chromium.lend()
    try:
        yield browser
    finally:
        shared_chromium.take_back()


def login(page: Page, base_url: str, username: str, password: str) -> None:
    """Log in through the real login form."""
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url(f"{base_url}/")


def live_run_page(chromium: Browser, base_url: str, username: str, password: str, run_id: int, **options: object) -> tuple[Page, list[str]]:
    """A run page opened by ``username`` once its websocket says "live", with the list its uncaught script errors go to."""
    from playwright.sync_api import expect

    page = chromium.new_page(**options)  # type: ignore[arg-type]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, base_url, username, password)
    page.goto(f"{base_url}/training/runs/{run_id}/")
    expect(page.locator("#connection")).to_have_text("live")
    return page, errors


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
