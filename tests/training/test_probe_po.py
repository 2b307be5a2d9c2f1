"""Fresh hostile eyes on the last hour's TensorBoard change: boards start in worker threads."""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import HttpCommunicator

from core.training.events import EpochEvent
from core.training.tensorboard import TensorBoardSink
from tests.training.test_tensorboard import cookie_of
from training.models import TrainingRun
from training.tensorboard_app import log_dir
from wiresag_web.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_board_starting_does_not_hold_up_the_threads_every_picture_is_read_in(engineer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A board now starts (reads every event file: 28 s for a big run) in a worker thread, under the one lock of all
    boards: asyncio's default worker threads, min(32, cores + 4) of them (6 on a 2-core server). The browser asks
    TensorBoard for six things at once, so one first view took every one of them, five waiting on the lock, and
    every download the app streams in those same threads (each picture of the library and the annotation page,
    ``DownloadsInPieces``) waited until the board had read everything."""
    import training.tensorboard_app as tensorboard_app

    run = TrainingRun.objects.create(model_type="view", config={"epochs": 1})
    sink = TensorBoardSink(log_dir(run.pk))
    sink.on_epoch(EpochEvent(epoch=1, epochs=1, metrics={"train/loss": 0.9}, learning_rate=0.01))
    sink.writer.close()
    monkeypatch.setattr(tensorboard_app, "_apps", {})
    started, release = threading.Event(), threading.Event()

    class SlowToStart(tensorboard_app.RunBoard):
        def __init__(self, *args: Any) -> None:
            started.set()
            release.wait(30)  # a big run's event files
            super().__init__(*args)

    monkeypatch.setattr(tensorboard_app, "RunBoard", SlowToStart)
    cookie = cookie_of(engineer)
    at_once = min(32, (os.cpu_count() or 1) + 4) + 2  # more than asyncio's default pool has threads
    path = f"/tensorboard/{run.pk}/data/runs"

    async def scenario() -> tuple[bool, list[int]]:
        views = [
            asyncio.ensure_future(HttpCommunicator(application, "GET", path, headers=[cookie]).get_response(timeout=60))
            for _ in range(at_once)
        ]
        try:
            while not started.is_set():
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.5)  # the other requests reach the board's lock
            try:
                await asyncio.wait_for(sync_to_async(lambda: b"a piece of a picture", thread_sensitive=False)(), 5)
                picture_read = True
            except TimeoutError:
                picture_read = False
        finally:
            release.set()
        answers = await asyncio.gather(*views)
        return picture_read, [answer["status"] for answer in answers]

    picture_read, statuses = async_to_sync(scenario)()
    assert statuses == [200] * at_once
    assert picture_read, "a file read waited for the board to start"
