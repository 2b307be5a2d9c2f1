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


def test_the_review_queue_of_real_version_names_stays_in_a_1024_px_window(chromium, live_server, annotator, make_image) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """After pre-annotating real pictures the queue's Models column held the registry's names (detection_20261207_091752_
    map500.85, no break point) and ran the page 1035 px wide in a 1024 px window: the State column, where A and R show
    what was decided, was cut at the window's edge while the picture names broke mid-word."""
    from annotations.models import Annotation
    from registry.models import ModelVersion
    from tests.browser_fixtures import login
    from tests.conftest import PASSWORD

    names = ("detection_20261207_091752_map500.85", "view_20261207_090219_acc1.00", "defect_20261207_070006_bacc0.41")
    detection, view, defect = (
        ModelVersion.objects.create(model_type=name.split("_")[0], name=name, file_path=f"{name.split('_')[0]}/{name}.pt") for name in names
    )
    for wire in ("901", "902", "903"):
        image = make_image(f"{wire}_SIDE.jpg", width=400, height=400, wire_group="晃動 lot-12")
        Annotation.objects.create(
            image=image, x=501, y=358, width=169, height=70, view="SIDE", defect="WOBBLE", source="model", review_state="pending",
            detection_version=detection, view_version=view, defect_version=defect,
            confidences={"detection": 0.15, "view": 1.0, "defect": 0.47},
        )  # fmt: skip
    page = chromium.new_page(viewport={"width": 1024, "height": 768})
    login(page, live_server.url, annotator.username, PASSWORD)
    page.goto(f"{live_server.url}/review/")
    expect(page.locator("#queue tbody tr")).to_have_count(3)
    width, window = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width <= window, f"the page is {width} px wide in a {window} px window"
    table, heading = page.locator("#queue").bounding_box(), page.locator("h1").bounding_box()
    assert table is not None and heading is not None
    assert table["x"] + table["width"] <= window - heading["x"] + 1, "the queue reaches past the page's margin"
