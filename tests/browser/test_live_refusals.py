"""What a browser's live socket is told when the server refuses it: the page can say why only if the code reaches it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_hostile_upload import real_passwords
from tests.browser_fixtures import chromium, login  # noqa: F401
from tests.conftest import PASSWORD
from tests.live_fixtures import daphne_server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CLOSE_CODE = """(path) => new Promise((resolve) => {
  const socket = new WebSocket("ws://" + location.host + path);
  socket.onclose = (e) => resolve(e.code);
})"""


def test_a_refused_live_socket_tells_the_browser_why(chromium, daphne_server, engineer) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """A socket refused at its handshake (login ended, run deleted) reached the browser only as 1006, so a run page
    whose connection dropped (a server restart) after its login ended said "reconnecting…" for ever."""
    from django.contrib.sessions.models import Session

    from training.models import TrainingRun

    real_passwords(engineer)
    run = TrainingRun.objects.create(model_type="defect", config={"epochs": 1})
    page = chromium.new_page(viewport={"width": 1024, "height": 800})
    login(page, daphne_server, engineer.username, PASSWORD)
    page.goto(f"{daphne_server}/training/runs/{run.pk}/")
    expect(page.locator("#connection")).to_have_text("live")

    gone = TrainingRun.objects.create(model_type="view", config={"epochs": 1}).pk
    TrainingRun.objects.filter(pk=gone).delete()
    assert page.evaluate(CLOSE_CODE, f"/ws/training/runs/{gone}/") == 4404

    Session.objects.all().delete()  # the login ended (a shift later, or logged out elsewhere)
    assert page.evaluate(CLOSE_CODE, f"/ws/training/runs/{run.pk}/") == 4403
    assert page.evaluate(CLOSE_CODE, "/ws/training/runs/") == 4403
