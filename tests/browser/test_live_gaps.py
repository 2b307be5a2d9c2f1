"""A live run page whose events went missing on the way catches up from the database by itself.

A worker whose publish to Redis fails skips its epoch and log events for a while (``training.groups``), and they are
never sent again: the page's charts lacked those epochs, and a run that ended meanwhile showed its state without its
last epochs, until the user reloaded the page. Here the events are left out of the outbox, as if they had been lost.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_hostile_upload import real_passwords
from tests.browser_fixtures import chromium, live_run_page  # noqa: F401
from tests.conftest import PASSWORD
from tests.live_fixtures import daphne_server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_page_that_missed_epochs_and_log_lines_takes_them_from_the_database(chromium, daphne_server, engineer) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from django.utils import timezone

    from training.models import EpochMetric, RunEvent, RunLogLine, RunStatus, TrainingRun

    real_passwords(engineer)
    run = TrainingRun.objects.create(model_type="view", status=RunStatus.RUNNING, config={"epochs": 5})
    page, errors = live_run_page(chromium, daphne_server, engineer.username, PASSWORD, run.pk)
    body = page.locator("body")

    def epoch(number: int) -> EpochMetric:
        return EpochMetric.objects.create(run=run, epoch=number, metrics={"train/loss": 1 / number}, learning_rate=0.001)

    # Epochs 1 and 2 and a log line are stored, their events lost; epoch 3's event arrives.
    epoch(1), epoch(2)
    RunLogLine.objects.create(run=run, level="WARNING", message="a line whose event was lost")
    RunEvent.objects.record(run.pk, epoch(3).as_event(5))
    expect(body).to_have_attribute("data-points", "3", timeout=15_000)
    expect(page.locator("#log")).to_contain_text("a line whose event was lost")

    # The last two epochs' events are lost too, and the run ends: its status event arrives (those are always sent).
    epoch(4), epoch(5)
    TrainingRun.objects.filter(pk=run.pk).update(status=RunStatus.SUCCEEDED, finished_at=timezone.now())
    RunEvent.objects.status(run.pk)
    expect(page.locator("#status")).to_have_text("Succeeded", timeout=15_000)
    expect(body).to_have_attribute("data-points", "5", timeout=15_000)
    expect(page.locator("#connection")).to_have_text("live")
    assert errors == []
