"""The Models page in Chromium: Enter in the compare form compares, as it did before the lists' page buttons joined it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_hostile_upload import real_passwords
from tests.browser_fixtures import chromium, login  # noqa: F401
from tests.conftest import PASSWORD
from tests.live_fixtures import daphne_server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_enter_on_a_ticked_box_compares_instead_of_turning_the_first_lists_page(chromium, daphne_server, engineer):  # noqa: F811
    """The Newer/Older buttons send the compare form, and the first of them came before the Compare button: a keyboard
    user who ticked two versions and pressed Enter got page 2 of the detection list instead of the comparison."""
    from registry.views import VERSIONS_PER_PAGE
    from tests.registry.test_probe_ml import many_versions

    versions = many_versions(VERSIONS_PER_PAGE + 2, "detection")
    real_passwords(engineer)
    page = chromium.new_page()
    login(page, daphne_server, engineer.username, PASSWORD)
    page.goto(f"{daphne_server}/registry/")
    page.get_by_label(f"Compare {versions[-1].name}").check()
    second = page.get_by_label(f"Compare {versions[-2].name}")
    second.check()
    second.press("Enter")

    expect(page.get_by_role("heading", name="Compare versions")).to_be_visible()
    expect(page.locator("main")).to_contain_text(versions[-1].name)
    expect(page.locator("main")).to_contain_text(versions[-2].name)
