"""Today's changed pages walked in Chromium under daphne: the cross-validation's trust table on the run page and on
the version page it registered."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_hostile_upload import real_passwords
from tests.browser_fixtures import chromium, login  # noqa: F401
from tests.conftest import PASSWORD, png_bytes
from tests.live_fixtures import daphne_server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LABELS = ("PASS", "SWEEP", "WOBBLE", "TOUCH")


def cross_validation_summary() -> dict[str, Any]:
    """Five folds of four wires each, every verdict with its confidence: right at 0.9 and 0.65, wrong at 0.55 and 0.3."""
    from core.evaluation.outoffold import FoldOutcome, summarise

    outcomes = []
    for fold in range(5):
        truth = list(LABELS)
        predicted = [truth[0], truth[1], "PASS" if truth[2] != "PASS" else "TOUCH", "none"]
        outcomes.append(
            FoldOutcome(
                fold,
                0,
                truth,
                predicted,
                truth,
                predicted,
                wire_ids=[f"{fold}-{n}" for n in range(4)],
                wire_confidence=[0.9, 0.65, 0.55, 0.0],
            )
        )
    return {**summarise(outcomes, LABELS, LABELS[1:]), "model_type": "defect", "k": 5, "seed": 0}


def test_the_trust_table_is_shown_apart_from_the_fold_table_on_the_run_and_version_pages(  # type: ignore[no-untyped-def]
    chromium,  # noqa: F811
    daphne_server,  # noqa: F811
    engineer,
    settings,
    tmp_path,
):
    """At 0.6, 10 of the 20 verdicts are at or above the line, all right; below it 0 of 10. The per-fold table came
    right under the trust table, touching it, so it read as part of "How far to trust a wire verdict's confidence"."""
    from registry import versions as registry
    from tests.registry.conftest import evaluated
    from training.models import RunStatus, TrainingRun

    settings.MODELS_DIR = tmp_path / "models"
    settings.MODELS_DIR.mkdir()
    real_passwords(engineer)
    run = TrainingRun.objects.create(model_type="defect", status=RunStatus.SUCCEEDED, folds=5, cross_validation=cross_validation_summary())
    checkpoint = tmp_path / "best.pt"
    checkpoint.write_bytes(b"weights")
    metrics = evaluated([[9, 1, 0, 0], [0, 5, 0, 0], [0, 0, 5, 0], [0, 2, 0, 3]])
    version = registry.register_version("defect", checkpoint, metrics=metrics, config={}, dataset_size=20, training_run=run)

    page = chromium.new_page(viewport={"width": 1024, "height": 800})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, daphne_server, engineer.username, PASSWORD)
    for url in (f"/training/runs/{run.pk}/", f"/registry/{version.pk}/"):
        page.goto(f"{daphne_server}{url}")
        section = page.locator("#cross-validation")
        expect(section.get_by_role("heading", name="How far to trust a wire verdict's confidence")).to_be_visible()
        rows = section.locator("table.cv-trust tbody tr")
        expect(rows).to_have_count(5)
        expect(rows.nth(2).locator("th, td")).to_have_text(["0.6", "10 (50 %)", "10 of 10", "10", "0 of 10"])
        # Nothing but the trust table under its heading, and no table touching the next one.
        assert section.locator("h3 ~ table").evaluate_all("tables => tables.map(t => t.className)") == ["cv-trust"], url
        gaps = section.locator("table").evaluate_all(
            "tables => tables.slice(1).map((t, i) => t.getBoundingClientRect().top - tables[i].getBoundingClientRect().bottom)"
        )
        assert min(gaps) >= 8, (url, gaps)
        width, window = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width <= window, (url, width, window)
    assert errors == []


def test_the_review_queue_stays_in_the_window_with_a_long_unbroken_picture_name(  # type: ignore[no-untyped-def]
    chromium,  # noqa: F811
    daphne_server,  # noqa: F811
    annotator,
    make_image,
):
    """A picture named without a break point (a wire id of 121 characters joined by underscores) ran the queue 2061 px
    wide in a 1024 px window: the keys, the reasons and the state column scrolled off sideways under the menu bar."""
    from annotations.models import Annotation

    real_passwords(annotator)
    for name, defect, confidence in (
        ("a1_TOP.png", "TOUCH", 0.9),
        ("a1_SIDE.png", "SWEEP", 0.9),
        ("W" + "_x" * 60 + "_TOP.png", "WOBBLE", 0.3),
    ):
        image = make_image(name, wire_group="lot")
        confidences = {"detection": 0.99, "view": 0.99, "defect": confidence}
        view = "SIDE" if "SIDE" in name else "TOP"
        Annotation.objects.create(
            image=image,
            x=5,
            y=5,
            width=20,
            height=20,
            view=view,
            defect=defect,
            source="model",
            review_state="pending",
            confidences=confidences,
        )
    page = chromium.new_page(viewport={"width": 1024, "height": 800})
    login(page, daphne_server, annotator.username, PASSWORD)
    page.goto(f"{daphne_server}/review/")
    expect(
        page.get_by_text("3 model boxes wait for review, riskiest first: wires whose views disagree, then low confidence")
    ).to_be_visible()
    expect(page.locator("#queue tbody tr td:nth-child(7)")).to_have_text(["views disagree", "views disagree", "low confidence"])
    width, window = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width <= window, f"the page is {width} px wide in a {window} px window"


def test_the_import_dry_run_stays_in_the_window_with_a_long_label_and_picture_name(  # type: ignore[no-untyped-def]
    chromium,  # noqa: F811
    live_server,
    engineer,
    make_image,
    tmp_path,
):
    """A foreign file's label of 156 characters (the mapping page wraps it) and a picture named without a break point
    ran the dry run 1781 px wide in a 1024 px window, the sentence of a conflict squeezed one word a line beside them."""
    from annotations.models import Annotation

    image = make_image("004_TOP.png", 80, 60)
    Annotation.objects.create(
        image=image, x=20, y=20, width=9, height=9, view="TOP", defect="TOUCH", source="model", review_state="accepted"
    )
    label, name = "sweep_" + "y" * 150, "W" + "_x" * 80 + "_TOP.png"
    rows = f"image_name,x,y,width,height,label\n004_TOP.png,21,19,10,10,{label}\n{name},5,5,10,10,{label}\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("boxes.csv", rows)
        archive.writestr(name, png_bytes(64, 48, seed=5))
    upload = tmp_path / "labels.zip"
    upload.write_bytes(buffer.getvalue())
    page = chromium.new_page(viewport={"width": 1024, "height": 800})
    login(page, live_server.url, engineer.username, PASSWORD)
    page.goto(f"{live_server.url}/import/")
    page.set_input_files("input[name=file]", str(upload))
    page.click("text=Read the labels")
    page.locator("select[name$=-defect]").select_option("SWEEP")
    page.locator("select[name$=-view]").select_option("TOP")
    page.click("text=Dry run")
    expect(page.get_by_text("1: conflicts with the box already on this loop")).to_be_visible()
    width, window = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width <= window, f"the page is {width} px wide in a {window} px window"


def test_the_list_of_versions_stays_in_the_window_at_1024_px(chromium, daphne_server, engineer, settings, tmp_path):  # type: ignore[no-untyped-def]  # noqa: F811
    """Where a refused comparison brings its ticks back: the defect versions' table, named as the registry names them
    (defect_20261207_064723_bacc0.88_2, no break point), ran the page 1146 px wide in a 1024 px window, so its last
    column ("Registered") was off to the side."""
    from tests.registry.test_pages import make

    settings.MODELS_DIR = tmp_path / "models"
    settings.MODELS_DIR.mkdir()
    real_passwords(engineer)
    versions = [make(tmp_path) for _ in range(2)]
    page = chromium.new_page(viewport={"width": 1024, "height": 800})
    login(page, daphne_server, engineer.username, PASSWORD)
    page.goto(f"{daphne_server}/registry/?v={versions[0].pk}")
    expect(page.get_by_label(f"Compare {versions[0].name}", exact=True)).to_be_checked()
    width, window = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width <= window, f"the page is {width} px wide in a {window} px window"
