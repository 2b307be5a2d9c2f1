"""End to end in headless Chromium: launch a tiny run from the form, watch it live, cancel it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from playwright.sync_api import Browser, expect

from tests.browser_fixtures import chromium, login  # noqa: F401
from tests.conftest import PASSWORD
from tests.live_fixtures import daphne_server, start_worker, tiny_library  # noqa: F401
from training.models import RunStatus, TrainingRun

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TINY_SETTINGS = "epochs: 40\nimage_size: 32\nbatch: 4\npatience: 0\nsamples_every: 1000\n"


def test_launch_watch_live_and_cancel(chromium: Browser, daphne_server: str, start_worker, tiny_library, engineer, tmp_path) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    shots = Path(os.environ.get("WIRESAG_SCREENSHOTS", tmp_path))
    start_worker()
    # Playwright's wait_for_function evaluates a string, which the page's CSP (no unsafe-eval) forbids:
    # the test's own probes bypass it; the page's scripts are unaffected.
    page = chromium.new_page(viewport={"width": 1280, "height": 1000}, bypass_csp=True)
    # The test settings hash with MD5 for speed; the daphne process knows only the real hashers.
    hasher = PBKDF2PasswordHasher()
    engineer.password = hasher.encode(PASSWORD, hasher.salt())
    engineer.save(update_fields=["password"])
    login(page, daphne_server, engineer.username, PASSWORD)
    page.click("text=Training")
    page.click("text=New training run")
    page.select_option("#id_model_type", "view")
    page.select_option("#id_device", "cpu")
    page.fill("#id_view_settings", TINY_SETTINGS)
    page.screenshot(path=str(shots / "training-launch.png"))
    page.click("text=Check the data and queue")

    page.wait_for_url("**/training/runs/*/")
    expect(page.locator("#connection")).to_have_text("live")
    # The chart gets points and the progress bar moves while the worker trains.
    page.wait_for_function("Number(document.body.dataset.points || 0) >= 2", timeout=60_000)
    page.wait_for_function("Number(document.getElementById('progress').getAttribute('aria-valuenow')) > 0")
    expect(page.locator("#status")).to_have_text("Running")
    expect(page.locator("#log")).to_contain_text("Started on worker")
    page.screenshot(path=str(shots / "training-run-live.png"), full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#cancel-button")
    expect(page.locator("#status")).to_have_text("Cancelled", timeout=30_000)
    run = TrainingRun.objects.get()
    assert run.status == RunStatus.CANCELLED
    assert 2 <= run.epochs.count() < 40

    page.goto(f"{daphne_server}/training/")
    expect(page.locator(f'tr[data-run="{run.pk}"] .status')).to_have_text("Cancelled")
    page.screenshot(path=str(shots / "training-dashboard.png"))
    page.close()
