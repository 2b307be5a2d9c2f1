"""An engineer whose role is taken away, whose account is switched off or who logs out stops getting live training events."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User

from tests.training.test_consumers import HOST, ORIGIN, TIMEOUT, receive_until, run_async, session_cookie
from training.models import TrainingRun
from training.sink import DatabaseSink
from wiresag_web.asgi import application


@pytest.fixture
def running_run(transactional_db) -> TrainingRun:  # type: ignore[no-untyped-def]
    run = TrainingRun.objects.create(model_type="defect", config={"epochs": 3})
    TrainingRun.objects.claim(run.pk, "w1")
    return run


def _take_role(user: User) -> None:
    user.groups.clear()


def _deactivate(user: User) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)


def _log_out(user: User) -> None:
    from django.contrib.sessions.models import Session

    Session.objects.all().delete()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("revoke", [_take_role, _deactivate, _log_out], ids=["role-removed", "account-deactivated", "logged-out"])
def test_an_open_run_page_stops_streaming_once_the_engineer_loses_access(running_run: TrainingRun, engineer, revoke) -> None:  # type: ignore[no-untyped-def]
    cookie = session_cookie(engineer)
    sink = DatabaseSink(running_run.pk, "w1")

    async def scenario() -> None:
        page = WebsocketCommunicator(application, f"/ws/training/runs/{running_run.pk}/", headers=[HOST, ORIGIN, cookie])
        assert (await page.connect(timeout=TIMEOUT))[0]
        assert (await page.receive_json_from(timeout=TIMEOUT))["type"] == "snapshot"
        await database_sync_to_async(revoke)(engineer)
        await database_sync_to_async(sink.on_log)("INFO", "secret: picture w042_TOP.png of lot 7 is a TOUCH")
        leaked = None
        try:
            leaked = await receive_until(page, "log")
        except Exception:  # closed, or nothing more: what should happen  # noqa: BLE001
            pass
        await page.disconnect()
        assert leaked is None, f"a user without access still got the live event {leaked!r}"

    run_async(scenario)
