"""The training pages walked in Chromium under daphne as an engineer: what a live run page shows while it changes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_hostile_upload import real_passwords
from tests.browser.test_probe_pj import cross_validation_summary
from tests.browser_fixtures import chromium, live_run_page  # noqa: F401
from tests.conftest import PASSWORD
from tests.live_fixtures import daphne_server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_out_of_fold_table_appears_on_an_open_run_page_once_the_folds_have_finished(chromium, daphne_server, engineer) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Once every fold had finished the log said "the out-of-fold table is on this page", while the page kept saying the
    table "appears here when every fold has finished", even after the run succeeded, until the user reloaded it."""
    from training.models import RunStatus, TrainingRun

    real_passwords(engineer)
    run = TrainingRun.objects.create(model_type="defect", status=RunStatus.RUNNING, config={"epochs": 1}, folds=5)
    page, errors = live_run_page(chromium, daphne_server, engineer.username, PASSWORD, run.pk, viewport={"width": 1024, "height": 800})
    section = page.locator("#cross-validation")
    expect(section).to_contain_text("The out-of-fold table appears here when every fold has finished.")

    run.record_cross_validation(cross_validation_summary())  # the worker, once the last fold has finished

    expect(section.get_by_role("heading", name="How far to trust a wire verdict's confidence")).to_be_visible(timeout=15_000)
    line = section.locator("table.cv-trust tbody tr").nth(2).locator("th, td")
    expect(line).to_have_text(["0.6", "10 (50 %)", "10 of 10", "10", "0 of 10"])
    expect(section).not_to_contain_text("appears here when every fold has finished")
    assert errors == []


def test_the_train_all_line_of_an_open_run_page_follows_the_runs(chromium, daphne_server, engineer) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The "Train all: view (queued) → detection (queued) → defect (queued)" line kept what it said when the page opened:
    under a "Succeeded" badge it still said "view (queued)", and never showed the detection model training."""
    from training.models import RunStatus, TrainingRun

    real_passwords(engineer)
    view, detection, defect = (
        TrainingRun.objects.create(model_type=model_type, config={"epochs": 1}, sequence="a" * 32, sequence_index=index)
        for index, model_type in enumerate(("view", "detection", "defect"))
    )
    page, errors = live_run_page(chromium, daphne_server, engineer.username, PASSWORD, view.pk, viewport={"width": 1024, "height": 800})
    line = page.locator(".sequence")
    expect(line).to_have_text("Train all: view (queued) → detection (queued) → defect (queued)")

    TrainingRun.objects.claim(view.pk, "w1")  # what the worker does: train the view model, then the next one
    expect(page.locator("#status")).to_have_text("Running")
    expect(line).to_have_text("Train all: view (running) → detection (queued) → defect (queued)")
    TrainingRun.objects.finish(view.pk, "w1", RunStatus.SUCCEEDED)
    TrainingRun.objects.claim(detection.pk, "w1")

    expect(page.locator("#status")).to_have_text("Succeeded")
    expect(line).to_have_text("Train all: view (succeeded) → detection (running) → defect (queued)")
    expect(line.locator("a.current")).to_have_text("view (succeeded)")
    expect(line.locator("a").nth(2)).to_have_attribute("href", f"/training/runs/{defect.pk}/")
    assert errors == []
