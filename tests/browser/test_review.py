"""The review flow in headless Chromium: pre-annotate, review by keys, inspect, download the reports."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, expect

from annotations.choices import ReviewState, Source
from annotations.ingest import ingest_image
from annotations.models import Annotation, AnnotationChange
from registry.versions import activate, register_version
from review.inspection import INSPECTION, PREANNOTATION, list_jobs, run_inspection, run_preannotation
from tests.browser_fixtures import chromium, login  # noqa: F401
from tests.conftest import PASSWORD
from tests.tiny_models import TinyModels, tiny_models

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> TinyModels:
    return tiny_models(tmp_path_factory.getbasetemp() / "tiny-models")


def test_preannotate_review_by_keys_and_download_a_batch_report(chromium: Browser, live_server, engineer, models: TinyModels) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    for model_type in ("detection", "view", "defect"):
        version = register_version(model_type, getattr(models, model_type), metrics={"pass_recall": 1.0})
        activate(version, None, reason="browser test")
    for sample in models.samples[:2]:
        ingest_image(sample.path.read_bytes(), sample.filename, wire_group="lot1")
    page = chromium.new_page(accept_downloads=True)
    login(page, live_server.url, "erik", PASSWORD)

    page.goto(f"{live_server.url}/review/")
    page.fill("input[name=conf]", "0.001")
    page.click("#preannotate")
    expect(page.locator("#job-state")).to_have_text("queued")
    run_preannotation(list_jobs(PREANNOTATION)[0].id)  # what the django-q2 worker does
    expect(page.locator("#job-state")).to_have_text("done", timeout=10_000)

    page.goto(f"{live_server.url}/review/")
    rows = page.locator("#queue tbody tr")
    count = rows.count()
    assert count == Annotation.objects.filter(source=Source.MODEL, review_state=ReviewState.PENDING).count() >= 2
    first, second = rows.nth(0).get_attribute("data-id"), rows.nth(1).get_attribute("data-id")
    page.keyboard.press("a")
    expect(rows.nth(0).locator(".state")).to_have_text("accepted")
    page.keyboard.press("r")
    expect(rows.nth(1).locator(".state")).to_have_text("rejected")
    page.keyboard.press("k")
    page.keyboard.press("k")
    page.keyboard.press("j")
    page.keyboard.press("j")
    # duplicate boxes are suppressed now, so a picture may give only two proposals: j stops at the last row
    expect(rows.nth(min(2, count - 1))).to_have_class(re.compile(r"\bcurrent\b"))  # the last row may also be "rejected"
    assert Annotation.objects.get(pk=first).review_state == ReviewState.ACCEPTED
    assert Annotation.objects.get(pk=second).review_state == ReviewState.REJECTED
    assert AnnotationChange.objects.filter(action="review", user=engineer).count() == 2
    corrected = rows.nth(min(2, count - 1)).get_attribute("data-id")
    page.keyboard.press("c")
    # The annotation page opens with the box to correct selected, not for the user to find among the picture's boxes.
    page.wait_for_url(f"{live_server.url}/images/*/annotate/?box={corrected}")
    expect(page.locator("#box-list li.selected")).to_have_count(1)

    page.goto(f"{live_server.url}/review/")
    expect(page.locator("#rates")).to_contain_text("50 %")

    page.goto(f"{live_server.url}/inspect/")
    page.fill("input[name=conf]", "0.001")
    page.click("#start-inspection")
    expect(page.locator("#job-state")).to_have_text("queued")
    run_inspection(list_jobs(INSPECTION)[0].id)
    expect(page.locator("#job-state")).to_have_text("done", timeout=10_000)
    expect(page.locator("#wires tbody tr")).to_have_count(1)  # the TOP and SIDE of one wire
    expect(page.locator("#counts")).to_be_visible()

    contents = {}
    for fmt in ("csv", "json", "xlsx"):
        with page.expect_download() as info:
            page.click(f"#download-{fmt}")
        contents[fmt] = open(info.value.path(), "rb").read()
    rows_csv = list(csv.DictReader(io.StringIO(contents["csv"].decode("utf-8-sig"))))
    assert {r["image_name"] for r in rows_csv} == {s.filename for s in models.samples[:2]}
    assert json.loads(contents["json"])["counts"]["pictures"] == 2
    assert load_workbook(io.BytesIO(contents["xlsx"])).sheetnames == ["Boxes", "Wires", "Summary"]
    page.close()


def test_a_killed_inspection_runs_again_from_its_page(chromium: Browser, live_server, engineer, models: TinyModels) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    import os
    import time

    from core import filejobs
    from review.inspection import INTERRUPTED_AFTER_SECONDS, read_status, root

    for model_type in ("detection", "view", "defect"):
        activate(register_version(model_type, getattr(models, model_type), metrics={"pass_recall": 1.0}), None, reason="browser test")
    for sample in models.samples[:2]:
        ingest_image(sample.path.read_bytes(), sample.filename, wire_group="lot1")
    page = chromium.new_page()
    login(page, live_server.url, "erik", PASSWORD)
    page.goto(f"{live_server.url}/inspect/")
    page.fill("input[name=conf]", "0.001")
    page.click("#start-inspection")
    expect(page.locator("#job-state")).to_have_text("queued")
    killed = read_status(INSPECTION, page.url.rstrip("/").split("/")[-1])
    # What a worker killed half way leaves: a running status that stopped moving ten minutes ago.
    status = read_status(INSPECTION, killed.id)
    status.state, status.done = "running", 1
    filejobs.write_status(root(INSPECTION), status)
    long_ago = time.time() - INTERRUPTED_AFTER_SECONDS - 5
    os.utime(root(INSPECTION) / killed.id / "status.json", (long_ago, long_ago))

    page.reload()
    expect(page.locator("#job-state")).to_have_text("failed")
    expect(page.locator("#job-message")).to_contain_text("the worker running it was stopped")
    page.click("#run-again")
    expect(page.locator("#job-state")).to_have_text("queued")
    again = read_status(INSPECTION, page.url.rstrip("/").split("/")[-1])
    assert again.id != killed.id and again.state == "queued"
    run_inspection(again.id)  # what the django-q2 worker does
    expect(page.locator("#job-state")).to_have_text("done", timeout=10_000)
    expect(page.locator("#wires tbody tr")).to_have_count(1)
    page.goto(f"{live_server.url}/jobs/{INSPECTION}/{killed.id}/")
    expect(page.locator("#run-again-as a")).to_have_text(again.id)
    expect(page.locator("#run-again")).to_have_count(0)
    page.close()
