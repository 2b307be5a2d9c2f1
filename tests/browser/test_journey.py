"""The whole journey a new user walks, in headless Chromium against the real server and worker.

Upload -> annotate -> import -> export -> train -> watch (TensorBoard included) -> activate -> inspect,
with zero console errors and zero 5xx answers on every page and frame along the way. The detector
and the defect model come from the tiny models (training a detector here would take minutes); the
view model is trained, watched and activated through the pages.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from playwright.sync_api import Browser, Page, expect

from annotations.models import Annotation, Image
from registry.models import ModelVersion
from registry.versions import activate, register_version
from tests.browser.test_annotate import drag_box
from tests.browser_fixtures import chromium, login  # noqa: F401
from tests.conftest import PASSWORD, png_bytes
from tests.live_fixtures import daphne_server, start_worker, tiny_library  # noqa: F401
from tests.tiny_models import TinyModels, tiny_models

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TINY_SETTINGS = "epochs: 2\nimage_size: 32\nbatch: 8\npatience: 0\nsamples_every: 1000\n"


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> TinyModels:
    return tiny_models(tmp_path_factory.getbasetemp() / "tiny-models")


def coco_zip(tmp_path: Path) -> Path:
    """What another tool hands over: one picture with one box, in COCO with our class names."""
    picture = png_bytes(200, 150, seed=7)
    annotations = {
        "images": [{"id": 1, "file_name": "walk 02_TOP.png", "width": 200, "height": 150}],
        "categories": [{"id": 1, "name": "TOP_SWEEP"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [20, 30, 80, 40], "area": 3200, "iscrowd": 0}],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("annotations.json", json.dumps(annotations))
        bundle.writestr("images/walk 02_TOP.png", picture)
    path = tmp_path / "from-another-tool.zip"
    path.write_bytes(buffer.getvalue())
    return path


def watch_for_problems(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"console: {message.text} at {page.url}") if message.type == "error" else None)
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}") if response.status >= 500 else None)
    page.on("pageerror", lambda error: problems.append(f"script error: {error} at {page.url}"))
    return problems


def test_the_whole_journey_without_a_console_error_or_a_5xx(  # type: ignore[no-untyped-def]
    chromium: Browser,  # noqa: F811
    daphne_server: str,  # noqa: F811
    start_worker,  # noqa: F811
    tiny_library,  # noqa: F811
    engineer,
    models: TinyModels,
    tmp_path,
) -> None:
    shots = Path(os.environ.get("WIRESAG_SCREENSHOTS", tmp_path))
    for model_type in ("detection", "defect"):
        activate(register_version(model_type, getattr(models, model_type), metrics={"pass_recall": 1.0}), None, reason="journey set-up")
    hasher = PBKDF2PasswordHasher()  # the daphne process knows only the real hashers
    engineer.password = hasher.encode(PASSWORD, hasher.salt())
    engineer.save(update_fields=["password"])
    start_worker()
    base = daphne_server
    page = chromium.new_page(viewport={"width": 1400, "height": 950}, accept_downloads=True)
    problems = watch_for_problems(page)
    login(page, base, engineer.username, PASSWORD)

    # 1. Upload two pictures of one wire.
    files = []
    for index, name in enumerate(["walk 01_TOP.png", "walk 01_SIDE.png"]):
        path = tmp_path / name
        path.write_bytes(png_bytes(400, 300, seed=200 + index))
        files.append(str(path))
    page.goto(f"{base}/library/")
    page.set_input_files("#upload-input", files)
    page.wait_for_selector("#upload-status[data-done='1']")
    expect(page.locator("#upload-results li.created")).to_have_count(2)

    # 2. Annotate the TOP picture: draw, label by keys, save with Ctrl+S.
    top = Image.objects.get(original_name="walk 01_TOP.png")
    page.goto(f"{base}/images/{top.pk}/annotate/")
    page.wait_for_selector("#annotator[data-ready='1']")
    page.keyboard.press("w")
    drag_box(page, -120, -60, 80, 40)
    page.keyboard.press("t")
    page.keyboard.press("3")  # WOBBLE
    page.keyboard.press("Control+s")
    expect(page.locator("#box-list li").first).to_contain_text("TOP WOBBLE")
    expect(page.locator("#status")).to_contain_text("Saved (revision 1)")
    assert list(Annotation.objects.filter(image=top).values_list("view", "defect")) == [("TOP", "WOBBLE")]

    # 3. Import a COCO zip from another tool: read, map (suggested), dry run, apply.
    page.goto(f"{base}/import/")
    page.set_input_files("input[name=file]", str(coco_zip(tmp_path)))
    page.click("text=Read the labels")
    page.click("text=Dry run")
    page.click("text=Apply the import")
    expect(page.locator("body")).to_contain_text("walk 02_TOP.png")
    imported = Image.objects.get(original_name="walk 02_TOP.png")
    assert list(imported.annotations.values_list("view", "defect")) == [("TOP", "SWEEP")]

    # 4. Export the library as COCO: a background job, then the download.
    page.goto(f"{base}/export/")
    page.select_option("select[name=format]", "coco")
    page.click("#export-form button[type=submit]")
    expect(page.locator("#export-download")).to_be_visible(timeout=60_000)  # the worker builds it
    with page.expect_download() as download:
        page.click("#export-download")
    saved = tmp_path / "export.zip"
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as bundle:
        exported = json.loads(bundle.read("annotations.json"))
    assert len(exported["annotations"]) == Annotation.objects.count()

    # 5. Train a view model from the form and watch it live to the end.
    page.goto(f"{base}/training/new/")
    page.select_option("#id_model_type", "view")
    page.select_option("#id_device", "cpu")
    page.fill("#id_view_settings", TINY_SETTINGS)
    page.click("text=Check the data and queue")
    page.wait_for_url("**/training/runs/*/")
    expect(page.locator("#connection")).to_have_text("live")
    expect(page.locator("#status")).to_have_text("Succeeded", timeout=240_000)

    # 6. Its TensorBoard, framed in the run page, shows the scalars.
    page.click("#tensorboard summary")
    board = page.frame_locator("#tensorboard iframe")
    expect(board.locator("card-view").first).to_be_visible(timeout=60_000)
    page.screenshot(path=str(shots / "training-tensorboard.png"), full_page=True)

    # 7. Activate the new view version in the registry.
    version = ModelVersion.objects.filter(model_type="view").latest("pk")
    page.goto(f"{base}/registry/{version.pk}/")
    page.fill("textarea[name=reason], input[name=reason]", "the journey's view model")
    page.click(f"text=Activate {version.name}")
    expect(page.locator("body")).to_contain_text(f"{version.name} is now the active view model.")
    version.refresh_from_db()
    assert version.is_active

    # 8. Inspect the tiny lot with the active models; the report appears when the worker is done.
    page.goto(f"{base}/inspect/")
    page.select_option("select[name=wire_group]", "tiny")
    page.fill("input[name=conf]", "0.001")  # the tiny detector is far from confident
    page.click("#start-inspection")
    expect(page.locator("#job-state")).to_have_text("done", timeout=120_000)
    expect(page.locator("#wires tbody tr")).to_have_count(8)  # the lot's eight wires, TOP and SIDE joined
    expect(page.locator("#pictures tbody tr td:nth-child(5)", has_text="yes").first).to_be_visible()

    assert problems == [], problems
