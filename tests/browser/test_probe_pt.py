"""Probe pt: an inspector's day on real pictures, walked in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_fixtures import annotation_page, chromium  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_annotation_page_names_the_lot_of_a_picture(chromium, live_server, annotator, make_image) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Pressing D through the real library's wire 001 opened "001_TOP.jpg", then "001_TOP.jpg" again (PASS, then 沖線: every
    class folder numbers its wires from 1), with nothing on the page saying which lot's picture was open."""
    image = make_image("001_TOP.jpg", width=400, height=300, wire_group="沖線")
    context, page = annotation_page(chromium, live_server.url, annotator.username, image.pk, width=1024, height=768)
    expect(page.locator("#image-name")).to_contain_text("沖線")
    expect(page.locator("#image-name")).to_contain_text("001_TOP.jpg")
    name = page.locator("#image-name").bounding_box()
    assert name is not None and name["width"] >= 100, name
    context.close()
