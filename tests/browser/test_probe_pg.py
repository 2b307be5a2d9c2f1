"""Today's pages walked in Chromium under daphne: long wire groups, and downloads that arrive whole."""

from __future__ import annotations

import pytest

from tests.browser.test_hostile_upload import real_passwords
from tests.browser_fixtures import chromium, login  # noqa: F401
from tests.conftest import PASSWORD
from tests.live_fixtures import daphne_server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

#: A group as long as the library takes (core.safepath.MAX_GROUP_LENGTH): a customer's folder of lots.
LONG_GROUP = ("2026-11/" + "-".join(["customer-lot"] * 20))[:200]


def test_the_inspection_form_stays_in_the_window_with_a_200_character_lot(chromium, daphne_server, engineer, make_image):  # noqa: F811
    """Its "Lot / folder" menu is as wide as its longest lot: with one of 200 characters the form ran 400 px past a
    1280 px window, and the page scrolled sideways under the menu bar."""
    real_passwords(engineer)
    make_image("w1_TOP.png", wire_group=LONG_GROUP)
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    login(page, daphne_server, engineer.username, PASSWORD)
    page.goto(f"{daphne_server}/inspect/")
    assert page.locator("select[name=wire_group] option").nth(1).inner_text() == LONG_GROUP
    width, window = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width <= window, f"the page is {width} px wide in a {window} px window"
