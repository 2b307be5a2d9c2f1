"""Today's pages walked in Chromium under daphne: long wire groups, and downloads that arrive whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotations.models import Annotation
from interop import exports
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


def test_a_picture_an_export_zip_and_a_lineage_file_arrive_whole_through_daphne(  # type: ignore[no-untyped-def]
    chromium,  # noqa: F811
    daphne_server,  # noqa: F811
    engineer,
    make_image,
    settings,
    tmp_path,
):
    """Downloads leave daphne a piece at a time (wiresag_web.middleware.DownloadsInPieces): each must arrive byte for byte."""
    from registry import versions as registry
    from tests.registry.test_pages import DEFECT_METRICS
    from training.models import RunStatus, TrainingRun

    real_passwords(engineer)
    pictures = [make_image(f"big{i}_TOP.png", 900, 900) for i in range(3)]  # noise: about 2 MB each, 6 MB zipped
    for picture in pictures:
        Annotation.objects.create(image=picture, x=1, y=2, width=10, height=5, view="TOP", defect="WOBBLE")
    settings.MODELS_DIR = tmp_path / "models"  # the version's copy of its file stays in this test's folder
    checkpoint = tmp_path / "defect.pt"
    checkpoint.write_bytes(b"weights")
    pairs = {"train": [[i, 1] for i in range(1, 2500)], "val": [[9000, 2]], "seed": 3}  # three pieces of the streamed file
    run = TrainingRun.objects.create(model_type="defect", status=RunStatus.SUCCEEDED, dataset_snapshot=pairs)
    version = registry.register_version("defect", checkpoint, metrics=DEFECT_METRICS, training_run=run)
    context = chromium.new_context(accept_downloads=True)
    page = context.new_page()
    login(page, daphne_server, engineer.username, PASSWORD)

    answer = page.request.get(f"{daphne_server}{pictures[0].file.url}")
    assert answer.status == 200 and answer.body() == Path(pictures[0].file.path).read_bytes()

    page.goto(f"{daphne_server}/export/")
    page.select_option("select[name=format]", "yolo")
    page.click("#export-form button[type=submit]")
    expect(page.locator("#job-state")).to_have_text("done", timeout=60_000)
    with page.expect_download() as download:
        page.click("#export-download")
    saved = tmp_path / "export.zip"
    download.value.save_as(saved)
    on_disk = exports.zip_of(page.url.rstrip("/").rsplit("/", 1)[1])
    assert on_disk.stat().st_size > 5_000_000 and saved.read_bytes() == on_disk.read_bytes()

    page.goto(f"{daphne_server}/registry/{version.pk}/")
    with page.expect_download() as download:
        page.click("#lineage-download")
    assert json.loads(Path(download.value.path()).read_text()) == {"version": version.name, **pairs}
    context.close()


def test_the_statistics_page_stays_in_the_window_with_a_long_unbroken_wire_name(chromium, daphne_server, engineer, make_image):  # noqa: F811
    """A wire named without a break point (200 characters joined by underscores) ran past the window in the lists of
    unpaired wires and of wires whose views disagree."""
    real_passwords(engineer)
    make_image("_".join(["lot"] * 45) + "_TOP.png")  # no SIDE picture: the wire is listed as unpaired
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    login(page, daphne_server, engineer.username, PASSWORD)
    page.goto(f"{daphne_server}/statistics/")
    expect(page.get_by_text("Unpaired wires (1)")).to_be_visible()
    width, window = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width <= window, f"the page is {width} px wide in a {window} px window"
