"""Export in headless Chromium: the form queues a job, its page fills a progress bar, then offers the zip."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from annotations.models import Annotation
from tests.browser_fixtures import chromium, login  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_export_shows_progress_then_a_download_link(chromium: Browser, live_server, annotator, make_image, settings, tmp_path) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    for number in range(3):
        image = make_image(f"{number}_TOP.png", 60, 40)
        Annotation.objects.create(image=image, x=1, y=2, width=10, height=5, view="TOP", defect="WOBBLE")
    page = chromium.new_page(accept_downloads=True)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}") if response.status >= 500 else None)
    login(page, live_server.url, annotator.username, PASSWORD)

    page.goto(f"{live_server.url}/export/")
    page.select_option("select[name=format]", "yolo")
    page.check("input[name=labels_only]")
    page.click("#export-form button[type=submit]")
    expect(page.locator("#job-state")).to_have_text("done", timeout=30_000)  # a thread of the server writes it; the page polls
    expect(page.locator("#job-bar")).to_have_attribute("value", "100")
    expect(page.locator("#job-message")).to_contain_text("Exported 3 boxes on 3 pictures (labels only")
    with page.expect_download() as download_info:
        page.click("#export-download")
    saved = tmp_path / "export.zip"
    download_info.value.save_as(saved)
    with zipfile.ZipFile(saved) as bundle:
        names = set(bundle.namelist())
    assert "data.yaml" in names and "classes.txt" in names
    assert {Path(n).suffix for n in names if n.startswith("labels/")} == {".txt"}
    assert not [n for n in names if n.startswith("images/")]  # labels only
    assert problems == []
