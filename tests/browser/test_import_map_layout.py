"""The label-mapping page: one long label from an imported file must not push every mapping control off the screen."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests.browser_fixtures import chromium, login  # noqa: F401
from tests.conftest import PASSWORD, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_one_long_label_does_not_push_every_mapping_select_off_screen(chromium, live_server, engineer, tmp_path):  # noqa: F811
    coco = {
        "images": [{"id": 1, "file_name": "w1_TOP.png", "width": 64, "height": 48}],
        "categories": [{"id": 1, "name": "defect_" + "x" * 600}, {"id": 2, "name": "PASS"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 20, 10]},
            {"id": 2, "image_id": 1, "category_id": 2, "bbox": [3, 4, 20, 10]},
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("instances.json", json.dumps(coco))
        archive.writestr("w1_TOP.png", png_bytes(64, 48, seed=5))
    upload = tmp_path / "labels.zip"
    upload.write_bytes(buffer.getvalue())
    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    login(page, live_server.url, engineer.username, PASSWORD)
    page.goto(f"{live_server.url}/import/")
    page.set_input_files("input[name=file]", str(upload))
    page.click("text=Read the labels")
    page.wait_for_selector("text=Map the labels")
    off_screen = page.evaluate(
        """() => [...document.querySelectorAll('select[name^=labels-]')]
            .filter((e) => e.getBoundingClientRect().left >= window.innerWidth).map((e) => e.name)"""
    )
    assert off_screen == [], f"mapping selects outside the 1280 px window (reachable only by scrolling sideways): {off_screen}"
