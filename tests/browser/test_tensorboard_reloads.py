"""The embedded TensorBoard in headless Chromium, reloaded 20 times: scalars every time, no 5xx, no console error."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from playwright.sync_api import Browser, expect

from core.training.events import EpochEvent
from core.training.tensorboard import TensorBoardSink
from tests.browser_fixtures import chromium, login  # noqa: F401
from tests.conftest import PASSWORD
from tests.live_fixtures import daphne_server  # noqa: F401
from training.models import RunStatus, TrainingRun
from training.tensorboard_app import log_dir

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

RELOADS = 20


def test_tensorboard_survives_twenty_reloads_with_its_scalars_each_time(chromium: Browser, daphne_server: str, engineer) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    run = TrainingRun.objects.create(model_type="view", config={"epochs": 3}, status=RunStatus.SUCCEEDED)
    sink = TensorBoardSink(log_dir(run.pk))
    for epoch, loss in ((1, 0.9), (2, 0.6), (3, 0.4)):
        sink.on_epoch(EpochEvent(epoch=epoch, epochs=3, metrics={"train/loss": loss, "val/accuracy": 0.5 + epoch / 10}, learning_rate=0.01))
    sink.writer.close()
    hasher = PBKDF2PasswordHasher()  # the daphne process knows only the real hashers
    engineer.password = hasher.encode(PASSWORD, hasher.salt())
    engineer.save(update_fields=["password"])

    page = chromium.new_page(viewport={"width": 1280, "height": 1000})
    failures: list[str] = []
    page.on("response", lambda response: failures.append(f"{response.status} {response.url}") if response.status >= 500 else None)
    page.on("console", lambda message: failures.append(f"console: {message.text}") if message.type == "error" else None)
    # A reload aborts what the old page still fetched (net::ERR_ABORTED): that is the browser, not the server.
    page.on("requestfailed", lambda request: None if request.failure == "net::ERR_ABORTED" else failures.append(f"failed: {request.url}"))
    login(page, daphne_server, engineer.username, PASSWORD)
    page.goto(f"{daphne_server}/tensorboard/{run.pk}/")  # the page the run page frames, opened as the frame does
    for attempt in range(RELOADS):
        if attempt:
            page.reload()
        # The Time Series dashboard draws a card per tag; the filter brings the loss card into view.
        expect(page.locator("card-view, .card-view").first, f"reload {attempt}: {failures}").to_be_visible(timeout=30_000)
        page.get_by_role("combobox", name="Filter tags (regex)").fill("train/loss")
        expect(page.get_by_text("train/loss", exact=True).first).to_be_visible(timeout=30_000)
    assert failures == [], failures
