"""The live websockets through the real ASGI application: session, role, origin, snapshot, events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from core.training.events import EpochEvent, ProgressEvent
from training.models import TrainingRun
from training.sink import DatabaseSink
from wiresag_web.asgi import application

ORIGIN = (b"origin", b"http://localhost")
HOST = (b"host", b"localhost")
TIMEOUT = 5


def session_cookie(user: Any) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode())


def run_async(test: Callable[[], Awaitable[None]]) -> None:
    async_to_sync(test)()


async def receive_until(communicator: WebsocketCommunicator, event_type: str) -> dict[str, Any]:
    while True:
        message = await communicator.receive_json_from(timeout=TIMEOUT)
        if message["type"] == event_type:
            return message


def live_event_after(run: TrainingRun, cookie: tuple[bytes, bytes], change: Callable[[], None], line: str) -> dict[str, Any] | None:
    """Open the run's live page with ``cookie``, make ``change`` once it streams, then log ``line`` for the run (claimed by
    worker w1): the log event if the page still gets it, else None (closed, or nothing more)."""
    sink = DatabaseSink(run.pk, "w1")
    got: list[dict[str, Any]] = []

    async def scenario() -> None:
        page = WebsocketCommunicator(application, f"/ws/training/runs/{run.pk}/", headers=[HOST, ORIGIN, cookie])
        assert (await page.connect(timeout=TIMEOUT))[0]
        assert (await page.receive_json_from(timeout=TIMEOUT))["type"] == "snapshot"
        await database_sync_to_async(change)()
        await database_sync_to_async(sink.on_log)("INFO", line)
        try:
            got.append(await receive_until(page, "log"))
        except Exception:  # closed, or nothing more: what should happen  # noqa: BLE001
            pass
        await page.disconnect()

    run_async(scenario)
    return got[0] if got else None


async def refused_with(communicator: WebsocketCommunicator) -> int | None:
    """The close code of a socket the server accepted and closed at once (a browser sees the code only then; a
    handshake refused before its accept reaches it as 1006), or None when it stayed open. A ``refused`` event sent
    before the close (a missing role) is read past."""
    connected, code = await communicator.connect(timeout=TIMEOUT)
    if not connected:
        return None
    message = await communicator.receive_output(timeout=TIMEOUT)
    while message["type"] == "websocket.send" and '"refused"' in message.get("text", ""):  # why, before the close
        message = await communicator.receive_output(timeout=TIMEOUT)
    return message["code"] if message["type"] == "websocket.close" else None


@pytest.fixture
def running_run(transactional_db) -> TrainingRun:  # type: ignore[no-untyped-def]
    run = TrainingRun.objects.create(model_type="defect", config={"epochs": 3})
    TrainingRun.objects.claim(run.pk, "w1")
    DatabaseSink(run.pk, "w1").on_epoch(EpochEvent(epoch=1, epochs=3, metrics={"train/loss": 2.0}, seconds=3.0))
    return run


@pytest.mark.django_db(transaction=True)
def test_logged_out_websocket_is_refused(running_run: TrainingRun) -> None:
    async def scenario() -> None:
        communicator = WebsocketCommunicator(application, f"/ws/training/runs/{running_run.pk}/", headers=[HOST, ORIGIN])
        assert await refused_with(communicator) == 4403  # accepted, then closed: the page reads the code

    run_async(scenario)


@pytest.mark.django_db(transaction=True)
def test_foreign_origin_is_refused_even_when_logged_in(running_run: TrainingRun, engineer) -> None:  # type: ignore[no-untyped-def]
    cookie = session_cookie(engineer)

    async def scenario() -> None:
        headers = [(b"origin", b"http://evil.example"), cookie]
        communicator = WebsocketCommunicator(application, f"/ws/training/runs/{running_run.pk}/", headers=headers)
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert not connected

    run_async(scenario)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "origin, host, accepted",
    [
        (b"http://localhost:8000", b"localhost:8000", True),
        (b"http://localhost", b"localhost", True),
        # Another port of the same host is another origin (another app on this machine).
        (b"http://localhost:8001", b"localhost:8000", False),
        (b"http://localhost:8001", b"localhost", False),
        (b"https://localhost:8000", b"localhost:8000", False),
        (b"http://127.0.0.1:8000", b"localhost:8000", False),
        # The Host header itself must be an allowed host.
        (b"http://evil.example:8000", b"evil.example:8000", False),
    ],
)
def test_origin_must_match_scheme_host_and_port_of_the_page(  # type: ignore[no-untyped-def]
    running_run: TrainingRun, engineer, origin: bytes, host: bytes, accepted: bool
) -> None:
    cookie = session_cookie(engineer)

    async def scenario() -> None:
        headers = [(b"host", host), (b"origin", origin), cookie]
        communicator = WebsocketCommunicator(application, f"/ws/training/runs/{running_run.pk}/", headers=headers)
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected is accepted
        await communicator.disconnect()

    run_async(scenario)


@pytest.mark.django_db(transaction=True)
def test_a_trusted_origin_may_differ_from_the_host(running_run: TrainingRun, engineer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CSRF_TRUSTED_ORIGINS = ["https://wiresag.example"]
    cookie = session_cookie(engineer)

    async def scenario() -> None:
        headers = [(b"host", b"localhost:8000"), (b"origin", b"https://wiresag.example"), cookie]
        communicator = WebsocketCommunicator(application, f"/ws/training/runs/{running_run.pk}/", headers=headers)
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        await communicator.disconnect()

    run_async(scenario)


@pytest.mark.django_db(transaction=True)
def test_annotator_may_not_watch_runs(running_run: TrainingRun, annotator) -> None:  # type: ignore[no-untyped-def]
    cookie = session_cookie(annotator)

    async def scenario() -> None:
        communicator = WebsocketCommunicator(application, "/ws/training/runs/", headers=[HOST, ORIGIN, cookie])
        assert await refused_with(communicator) == 4403  # accepted, then closed: the page reads the code

    run_async(scenario)


@pytest.mark.django_db(transaction=True)
def test_unknown_run_is_refused(engineer) -> None:  # type: ignore[no-untyped-def]
    cookie = session_cookie(engineer)

    async def scenario() -> None:
        communicator = WebsocketCommunicator(application, "/ws/training/runs/999999/", headers=[HOST, ORIGIN, cookie])
        assert await refused_with(communicator) == 4404  # accepted, then closed: the page reads the code

    run_async(scenario)


@pytest.mark.django_db(transaction=True)
def test_engineer_gets_a_snapshot_then_the_next_epoch_and_progress(running_run: TrainingRun, engineer) -> None:  # type: ignore[no-untyped-def]
    cookie = session_cookie(engineer)
    sink = DatabaseSink(running_run.pk, "w1")

    async def scenario() -> None:
        page = WebsocketCommunicator(application, f"/ws/training/runs/{running_run.pk}/", headers=[HOST, ORIGIN, cookie])
        dashboard = WebsocketCommunicator(application, "/ws/training/runs/", headers=[HOST, ORIGIN, cookie])
        assert (await page.connect(timeout=TIMEOUT))[0]
        assert (await dashboard.connect(timeout=TIMEOUT))[0]
        snapshot = await page.receive_json_from(timeout=TIMEOUT)
        assert snapshot["type"] == "snapshot"
        assert [row["epoch"] for row in snapshot["epochs"]] == [1]
        assert snapshot["status"]["status"] == "running"
        assert any("Started on worker w1" in line["message"] for line in snapshot["log"])
        board = await dashboard.receive_json_from(timeout=TIMEOUT)
        assert [row["run"] for row in board["runs"]] == [running_run.pk]

        await database_sync_to_async(sink.on_progress)(ProgressEvent(epoch=2, epochs=3, batch=1, batches=4))
        await database_sync_to_async(sink.on_epoch)(EpochEvent(epoch=2, epochs=3, metrics={"train/loss": 1.0}, seconds=3.0))
        progress = await receive_until(page, "progress")
        epoch = await receive_until(page, "epoch")
        assert (progress["batch"], epoch["epoch"], epoch["metrics"]) == (1, 2, {"train/loss": 1.0})
        assert (await receive_until(dashboard, "epoch"))["run"] == running_run.pk
        await page.disconnect()
        await dashboard.disconnect()

    run_async(scenario)


@pytest.mark.django_db(transaction=True)
def test_the_time_left_is_the_same_live_and_after_a_reconnect(running_run: TrainingRun, engineer) -> None:  # type: ignore[no-untyped-def]
    """The trainer's own guess is not shown: the epoch event and a fresh snapshot read one estimate."""
    cookie = session_cookie(engineer)
    sink = DatabaseSink(running_run.pk, "w1")
    path = f"/ws/training/runs/{running_run.pk}/"

    async def scenario() -> None:
        page = WebsocketCommunicator(application, path, headers=[HOST, ORIGIN, cookie])
        assert (await page.connect(timeout=TIMEOUT))[0]
        await page.receive_json_from(timeout=TIMEOUT)
        # The trainer thinks 999 s are left; the run has 3 planned epochs of 3 s and 5 s so far.
        event = EpochEvent(epoch=2, epochs=3, metrics={"train/loss": 1.0}, seconds=5.0, eta_seconds=999.0)
        await database_sync_to_async(sink.on_epoch)(event)
        live = await receive_until(page, "epoch")
        await page.disconnect()

        again = WebsocketCommunicator(application, path, headers=[HOST, ORIGIN, cookie])
        assert (await again.connect(timeout=TIMEOUT))[0]
        snapshot = await again.receive_json_from(timeout=TIMEOUT)
        await again.disconnect()
        epochs_done = [row["seconds"] for row in snapshot["epochs"]]
        expected = sum(epochs_done) / len(epochs_done) * (3 - 2)
        assert live["remaining_seconds"] == pytest.approx(expected)
        assert snapshot["status"]["remaining_seconds"] == pytest.approx(expected)
        assert snapshot["epochs"][-1]["remaining_seconds"] == pytest.approx(expected)
        # One shape: the snapshot's row is the event the page got live, less the outbox id.
        assert snapshot["epochs"][-1] == {key: value for key, value in live.items() if key != "event_id"}

    run_async(scenario)


@pytest.mark.django_db(transaction=True)
def test_a_cancel_from_another_page_reaches_the_watching_page(running_run: TrainingRun, engineer) -> None:  # type: ignore[no-untyped-def]
    cookie = session_cookie(engineer)

    async def scenario() -> None:
        page = WebsocketCommunicator(application, f"/ws/training/runs/{running_run.pk}/", headers=[HOST, ORIGIN, cookie])
        assert (await page.connect(timeout=TIMEOUT))[0]
        await page.receive_json_from(timeout=TIMEOUT)
        await database_sync_to_async(running_run.request_cancel)(engineer)
        log = await receive_until(page, "log")
        status = await receive_until(page, "status")
        assert "Cancel requested by erik" in log["message"]
        assert status["control"] == "cancel"
        await page.disconnect()

    run_async(scenario)


@pytest.mark.django_db(transaction=True)
def test_pages_connecting_at_once_share_one_relay_and_get_each_event_once(running_run: TrainingRun, engineer) -> None:  # type: ignore[no-untyped-def]
    cookie = session_cookie(engineer)
    sink = DatabaseSink(running_run.pk, "w1")

    async def scenario() -> None:
        import asyncio

        url = f"/ws/training/runs/{running_run.pk}/"
        pages = [WebsocketCommunicator(application, url, headers=[HOST, ORIGIN, cookie]) for _ in range(5)]
        results = await asyncio.gather(*(page.connect(timeout=TIMEOUT) for page in pages))
        assert all(connected for connected, _ in results)
        for page in pages:
            await page.receive_json_from(timeout=TIMEOUT)
        await database_sync_to_async(sink.on_epoch)(EpochEvent(epoch=2, epochs=3, metrics={"train/loss": 1.0}, seconds=3.0))
        for page in pages:
            assert (await receive_until(page, "epoch"))["epoch"] == 2
        await asyncio.sleep(1.0)  # four relay polls: a second relay would deliver the epoch again
        for page in pages:
            assert await page.receive_nothing(timeout=0.1)
            await page.disconnect()

    run_async(scenario)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/ws/nowhere/", "/ws/training/runs/abc/", "/ws/training/runs/1/extra/", "/"])
def test_a_path_no_page_opens_is_refused_quietly(path: str, engineer, caplog) -> None:  # type: ignore[no-untyped-def]
    """Channels' router raised "No route found" for these: every visitor's odd path left a traceback in the log."""
    cookie = session_cookie(engineer)

    async def scenario() -> None:
        communicator = WebsocketCommunicator(application, path, headers=[HOST, ORIGIN, cookie])
        connected, code = await communicator.connect(timeout=TIMEOUT)
        assert not connected and code == 4404

    run_async(scenario)
    assert not [record for record in caplog.records if record.exc_info]
