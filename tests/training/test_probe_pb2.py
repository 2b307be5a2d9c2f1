"""A live run page whose engineer loses the role while it is open: told why, not to log in again."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from tests.training.test_consumers import HOST, ORIGIN, TIMEOUT, run_async, session_cookie
from training.models import TrainingRun
from training.sink import DatabaseSink
from wiresag_web.asgi import application


@pytest.fixture
def running_run(transactional_db) -> TrainingRun:  # type: ignore[no-untyped-def]
    run = TrainingRun.objects.create(model_type="defect", config={"epochs": 3})
    TrainingRun.objects.claim(run.pk, "w1")
    return run


async def _messages_until_closed(page: WebsocketCommunicator) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    while True:
        output = await page.receive_output(timeout=TIMEOUT)
        got.append(output)
        if output["type"] == "websocket.close":
            return got


@pytest.mark.django_db(transaction=True)
def test_a_run_page_whose_engineer_lost_the_role_is_told_so_not_to_log_in_again(running_run: TrainingRun, engineer) -> None:  # type: ignore[no-untyped-def]
    """The page said "not allowed: log in again": logging in again gives the same; an admin must give the role back."""
    cookie = session_cookie(engineer)
    got: list[dict[str, Any]] = []

    async def scenario() -> None:
        page = WebsocketCommunicator(application, f"/ws/training/runs/{running_run.pk}/", headers=[HOST, ORIGIN, cookie])
        assert (await page.connect(timeout=TIMEOUT))[0]
        assert (await page.receive_json_from(timeout=TIMEOUT))["type"] == "snapshot"
        await database_sync_to_async(engineer.groups.clear)()
        await database_sync_to_async(DatabaseSink(running_run.pk, "w1").on_log)("INFO", "epoch 2")
        got.extend(await _messages_until_closed(page))

    run_async(scenario)
    assert got[-1]["code"] == 4403
    texts = [message.get("text", "") for message in got]
    assert any("engineer role" in text and "admin" in text for text in texts), f"the page was not told why: {got}"


@pytest.mark.django_db(transaction=True)
def test_a_page_opened_after_the_role_was_taken_is_told_so(running_run: TrainingRun, annotator) -> None:  # type: ignore[no-untyped-def]
    cookie = session_cookie(annotator)
    got: list[dict[str, Any]] = []

    async def scenario() -> None:
        page = WebsocketCommunicator(application, "/ws/training/runs/", headers=[HOST, ORIGIN, cookie])
        assert (await page.connect(timeout=TIMEOUT))[0]
        got.extend(await _messages_until_closed(page))

    run_async(scenario)
    assert got[-1]["code"] == 4403
    assert any("engineer role" in message.get("text", "") for message in got), got
