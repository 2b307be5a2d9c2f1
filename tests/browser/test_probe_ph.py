"""The registry's compare page walked in Chromium under daphne: ten versions side by side stay in the window."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_hostile_upload import real_passwords
from tests.browser_fixtures import chromium, login  # noqa: F401
from tests.conftest import PASSWORD
from tests.live_fixtures import daphne_server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_compare_page_stays_in_the_window_with_ten_versions(chromium, daphne_server, engineer, settings, tmp_path):  # noqa: F811
    """Ten versions (the most one comparison takes), named as the registry names them (defect_20261207_062837_bacc0.88,
    no break point): their columns ran the page past a 1280 px window, and it scrolled sideways under the menu bar."""
    from registry.models import ModelVersion
    from tests.registry.test_pages import make

    settings.MODELS_DIR = tmp_path / "models"
    settings.MODELS_DIR.mkdir()
    real_passwords(engineer)
    versions = [make(tmp_path, lr=0.001 * (i + 1), weights=f"uploads/{'starting_weights_' * 3}{i}.pt") for i in range(10)]
    assert all(len(version.name) >= 31 for version in ModelVersion.objects.all())
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    login(page, daphne_server, engineer.username, PASSWORD)
    page.goto(f"{daphne_server}/registry/compare/?" + "&".join(f"v={version.pk}" for version in versions))
    expect(page.get_by_role("heading", name="Compare versions")).to_be_visible()
    width, window = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width <= window, f"the page is {width} px wide in a {window} px window"
    # Not by hiding the columns behind a scroll bar: the names and settings break, so every table fits as it is.
    tables = page.evaluate("[...document.querySelectorAll('.compare-table')].map(box => box.scrollWidth - box.clientWidth)")
    assert len(tables) == 4 and max(tables) == 0, tables
