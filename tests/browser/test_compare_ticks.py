"""The Models page in Chromium: a version ticked on page 1 of a long list and one ticked on page 2 are compared."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_hostile_upload import real_passwords
from tests.browser_fixtures import chromium, login  # noqa: F401
from tests.conftest import PASSWORD
from tests.live_fixtures import daphne_server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_ticks_on_two_pages_of_the_list_are_compared_together(chromium, daphne_server, engineer):  # noqa: F811
    from registry.views import VERSIONS_PER_PAGE
    from tests.registry.test_probe_ml import many_versions

    versions = many_versions(VERSIONS_PER_PAGE + 2, "defect")
    newest, oldest = versions[-1], versions[0]
    real_passwords(engineer)
    page = chromium.new_page()
    login(page, daphne_server, engineer.username, PASSWORD)
    page.goto(f"{daphne_server}/registry/")
    page.get_by_label(f"Compare {newest.name}").check()
    page.locator("#type-defect").get_by_role("button", name="Older").click()

    expect(page.locator("#type-defect")).to_contain_text("Page 2 of 2")
    expect(page.get_by_label(f"Compare {newest.name}")).to_be_checked()  # named beside the Compare button
    page.get_by_label(f"Compare {oldest.name}").check()
    page.locator("#type-defect").get_by_role("button", name="Newer").click()
    expect(page.locator("#type-defect")).to_contain_text("Page 1 of 2")
    expect(page.get_by_label(f"Compare {newest.name}")).to_be_checked()  # on its own row again
    expect(page.get_by_label(f"Compare {oldest.name}")).to_be_checked()

    page.get_by_role("button", name="Compare ticked versions").click()
    expect(page.get_by_role("heading", name="Compare versions")).to_be_visible()
    expect(page.locator("main")).to_contain_text(newest.name)
    expect(page.locator("main")).to_contain_text(oldest.name)
