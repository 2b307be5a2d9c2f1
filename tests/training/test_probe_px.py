"""Probe px: the live pages after a scheduled change of the secret key (WIRESAG_SECRET_KEY_FALLBACKS)."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session

from training.models import TrainingRun

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_live_page_reconnecting_after_a_key_rotation_keeps_its_session(engineer, settings) -> None:  # type: ignore[no-untyped-def]
    """The dashboard left open on a screen reconnects its websocket once the servers restart with a new key (the old one
    in WIRESAG_SECRET_KEY_FALLBACKS): Channels checked the session against the new key only, flushed it and closed the
    socket 4403 ('Not allowed: log in again'), logging the engineer out everywhere: the rotation that keeps everyone
    logged in logged out everyone watching a run."""
    from channels.testing import WebsocketCommunicator

    from tests.training.test_consumers import HOST, ORIGIN, TIMEOUT, run_async, session_cookie
    from wiresag_web.asgi import application

    run = TrainingRun.objects.create(model_type="defect", config={"epochs": 3})
    cookie = session_cookie(engineer)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a rotated secret key, long and random enough " * 2

    async def scenario() -> None:
        page = WebsocketCommunicator(application, f"/ws/training/runs/{run.pk}/", headers=[HOST, ORIGIN, cookie])
        connected, code = await page.connect(timeout=TIMEOUT)
        assert connected, f"closed with {code}"
        assert (await page.receive_json_from(timeout=TIMEOUT))["type"] == "snapshot"
        await page.disconnect()

    run_async(scenario)
    assert Session.objects.exists(), "the engineer's session was flushed: logged out everywhere"


def test_a_tensorboard_polling_after_a_key_rotation_keeps_its_session(engineer, settings) -> None:  # type: ignore[no-untyped-def]
    """An open TensorBoard polls its data every 30 s: after the key rotation its first poll (the old session cookie) was
    sent to the login page and the session flushed, so the engineer was logged out of every page."""
    from tests.training.test_probe_pi import run_with_scalars
    from tests.training.test_tensorboard import cookie_of, get

    run = run_with_scalars()
    cookie = cookie_of(engineer)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a rotated secret key, long and random enough " * 2
    response = get(f"/tensorboard/{run.pk}/data/plugin/scalars/tags", cookie)
    assert response["status"] == 200, response["status"]
    assert Session.objects.exists(), "the engineer's session was flushed: logged out everywhere"
