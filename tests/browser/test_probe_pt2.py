"""Probe pt2: the embedded TensorBoard of a run, in headless Chromium."""

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


def test_a_tensorboard_opened_before_the_run_wrote_events_shows_them_once_it_does(chromium: Browser, daphne_server: str, engineer) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    """An engineer who opened the TensorBoard panel of a run still waiting for its worker read "This run has not written
    TensorBoard data yet; it appears once training starts." It never appeared: the frame kept that sentence until the
    whole page was reloaded."""
    run = TrainingRun.objects.create(model_type="view", config={"epochs": 2}, status=RunStatus.RUNNING)
    hasher = PBKDF2PasswordHasher()  # the daphne process knows only the real hashers
    engineer.password = hasher.encode(PASSWORD, hasher.salt())
    engineer.save(update_fields=["password"])
    page = chromium.new_page(viewport={"width": 1280, "height": 1000})
    login(page, daphne_server, engineer.username, PASSWORD)
    page.goto(f"{daphne_server}/training/runs/{run.pk}/")
    page.locator("#tensorboard summary").click()
    frame = page.frame_locator("#tensorboard iframe")
    expect(frame.get_by_text("has not written TensorBoard data yet")).to_be_visible(timeout=15_000)

    sink = TensorBoardSink(log_dir(run.pk))  # the worker starts training
    sink.on_epoch(EpochEvent(epoch=1, epochs=2, metrics={"train/loss": 0.9}, learning_rate=0.01))
    sink.close()
    expect(frame.get_by_text("TensorBoard", exact=True).first).to_be_visible(timeout=30_000)


def test_a_tensorboard_opened_after_the_login_ended_says_so_in_the_frame(chromium: Browser, daphne_server: str, engineer) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    """An engineer whose login ended while the run page stayed open (logged out in another tab, the session expired)
    opened the TensorBoard panel: the frame was sent to the login page, which no page may frame, and drew a broken
    page with no word of why."""
    from django.contrib.sessions.models import Session

    run = TrainingRun.objects.create(model_type="view", config={"epochs": 2}, status=RunStatus.SUCCEEDED)
    sink = TensorBoardSink(log_dir(run.pk))
    sink.on_epoch(EpochEvent(epoch=1, epochs=2, metrics={"train/loss": 0.9}, learning_rate=0.01))
    sink.close()
    hasher = PBKDF2PasswordHasher()
    engineer.password = hasher.encode(PASSWORD, hasher.salt())
    engineer.save(update_fields=["password"])
    page = chromium.new_page(viewport={"width": 1280, "height": 1000})
    login(page, daphne_server, engineer.username, PASSWORD)
    page.goto(f"{daphne_server}/training/runs/{run.pk}/")
    Session.objects.all().delete()  # the login ends
    page.locator("#tensorboard summary").click()
    expect(page.frame_locator("#tensorboard iframe").get_by_text("log in again")).to_be_visible(timeout=15_000)
