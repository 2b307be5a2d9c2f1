"""A real django-q2 worker process trains tiny runs; their events reach a websocket client.

Each test starts ``manage.py worker`` (django-q2's cluster) against the on-disk test database and
watches through the real ASGI application, on the embedded default (outbox
relay) and with channels_redis.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
import torch
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.utils import timezone

from core.training.classifier import resumed_message
from core.training.layout import WEIGHTS_DIR
from registry.models import ModelVersion
from training import models
from training.models import EpochMetric, RunEvent, RunLogLine, RunStatus, TrainingRun
from wiresag_web.asgi import application

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ORIGIN = (b"origin", b"http://localhost")
HOST = (b"host", b"localhost")


def session_cookie(user: Any) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode())


def watch(run: TrainingRun, user: Any, until: set[str], timeout: float = 90.0) -> list[dict[str, Any]]:
    """Connect like the run page does and collect messages until the run reaches a status in ``until``."""
    cookie = session_cookie(user)

    async def scenario() -> list[dict[str, Any]]:
        page = WebsocketCommunicator(application, f"/ws/training/runs/{run.pk}/", headers=[HOST, ORIGIN, cookie])
        connected, _ = await page.connect(timeout=10)
        assert connected
        messages = [await page.receive_json_from(timeout=10)]
        # One wait for the whole run: a communicator that times out cancels the application.
        while not (messages[-1]["type"] == "status" and messages[-1]["status"] in until):
            messages.append(await page.receive_json_from(timeout=timeout))
        await page.disconnect()
        return messages

    return async_to_sync(scenario)()


def epochs_of(messages: list[dict[str, Any]]) -> list[int]:
    return [message["epoch"] for message in messages if message["type"] == "epoch"]


def wait_for_first_epoch(run: TrainingRun, seconds: float, poll: float = 0.2) -> None:
    """Until the worker has stored the run's first epoch; fails after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not EpochMetric.objects.filter(run=run).exists():
        assert time.monotonic() < deadline, f"no epoch finished within {seconds:.0f} s"
        time.sleep(poll)


def test_worker_trains_two_epochs_whose_events_reach_the_browser(  # type: ignore[no-untyped-def]
    deployment, queue_view_run, start_worker, engineer, final_statuses
) -> None:
    run = queue_view_run()
    start_worker()
    messages = watch(run, engineer, until=final_statuses)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, (run.error, run.traceback)
    assert messages[0]["type"] == "snapshot"
    # Every epoch reached the client, live, in order (the snapshot may already hold the first).
    seen = [row["epoch"] for row in messages[0]["epochs"]] + epochs_of(messages)
    assert seen == [1, 2]
    assert any(message["type"] == "progress" for message in messages)
    assert list(EpochMetric.objects.filter(run=run).values_list("epoch", flat=True)) == [1, 2]
    assert ModelVersion.objects.filter(training_run=run, model_type="view").exists()
    assert run.device.startswith("cpu")
    assert RunLogLine.objects.filter(run=run, message__startswith="Finished; registered model version").exists()


def test_pause_resume_and_cancel_each_take_effect_within_a_batch(  # type: ignore[no-untyped-def]
    queue_view_run, start_worker, engineer, wait_for_status
) -> None:
    run = queue_view_run(epochs=200, patience=0)
    start_worker()
    wait_for_first_epoch(run, 60, poll=0.2)
    run.request_pause(engineer)
    paused = wait_for_status(run, {RunStatus.PAUSED}, timeout=30)
    paused_at = EpochMetric.objects.filter(run=run).count()
    assert paused_at < 200
    assert paused.checkpoint_path and paused.worker
    time.sleep(1.5)
    assert EpochMetric.objects.filter(run=run).count() == paused_at, "a paused run went on training"

    paused.request_resume(engineer)
    deadline = time.monotonic() + 60
    while EpochMetric.objects.filter(run=run).count() <= paused_at:
        assert time.monotonic() < deadline, "the resumed run did not train a further epoch"
        time.sleep(0.2)
    assert RunLogLine.objects.filter(run=run, message__startswith="Resumed from the checkpoint of epoch").exists()
    TrainingRun.objects.get(pk=run.pk).request_cancel(engineer)
    cancelled = wait_for_status(run, {RunStatus.CANCELLED}, timeout=30)
    assert cancelled.finished_at is not None
    epochs = list(EpochMetric.objects.filter(run=run).values_list("epoch", flat=True))
    assert epochs == list(range(1, len(epochs) + 1))
    assert not ModelVersion.objects.filter(training_run=run).exists()


def test_a_killed_worker_leaves_the_run_interrupted_and_resumable_without_training_twice(  # type: ignore[no-untyped-def]
    queue_view_run, start_worker, engineer, wait_for_status
) -> None:
    run = queue_view_run(epochs=4, patience=0)
    worker = start_worker()
    wait_for_first_epoch(run, 60, poll=0.1)
    worker.kill()
    killed_at = EpochMetric.objects.filter(run=run).count()
    assert killed_at < 4, "the tiny run finished before it could be killed"
    # An epoch is recorded before last.pt claims it: killed in between, the checkpoint is one epoch behind.
    last = run.folder / WEIGHTS_DIR / "last.pt"
    checkpoint_epoch = int(torch.load(last, weights_only=True)["epoch"]) if last.is_file() else 0
    assert killed_at - checkpoint_epoch in (0, 1), (killed_at, checkpoint_epoch)
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    # Nobody renews the lease any more: once it expires the reaper marks the run.
    assert TrainingRun.objects.reap_expired() == []
    assert TrainingRun.objects.reap_expired(now=timezone.now() + timedelta(seconds=models.LEASE_SECONDS + 1)) == [run.pk]
    run.refresh_from_db()
    assert run.status == RunStatus.INTERRUPTED

    run.request_resume(engineer)
    start_worker()
    finished = wait_for_status(run, {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})
    assert finished.status == RunStatus.SUCCEEDED, (finished.error, finished.traceback)
    # Each epoch was stored once (an epoch trained again after the kill replaced its row and was announced
    # again), and the resumed worker went on from the checkpoint.
    assert list(EpochMetric.objects.filter(run=run).order_by("epoch").values_list("epoch", flat=True)) == [1, 2, 3, 4]
    announced = [event.payload["epoch"] for event in RunEvent.objects.filter(run=run) if event.payload["type"] == "epoch"]
    assert sorted(set(announced)) == [1, 2, 3, 4] and len(announced) == 4 + killed_at - checkpoint_epoch
    resumed = RunLogLine.objects.filter(run=run, message=resumed_message(checkpoint_epoch, 4)).exists()
    assert resumed == (checkpoint_epoch > 0)  # from the checkpoint; with none yet, from the start
    assert RunLogLine.objects.filter(run=run, message__startswith="Started on worker").count() == 2
    assert ModelVersion.objects.filter(training_run=run).count() == 1


def test_an_inspection_does_not_wait_behind_a_training_run(  # type: ignore[no-untyped-def]
    queue_view_run, start_worker, engineer, settings, tmp_path_factory
) -> None:
    """One training worker (the default) busy with a long run: the quick cluster beside it inspects at once."""
    from annotations.models import Image
    from registry.versions import activate, register_version
    from review.inspection import INSPECTION, read_status, start_inspection
    from tests.tiny_models import tiny_models

    models = tiny_models(tmp_path_factory.getbasetemp() / "tiny-models")
    for model_type in ("detection", "view", "defect"):
        version = register_version(model_type, getattr(models, model_type), metrics={"pass_recall": 1.0})
        activate(version, engineer, reason="quick-queue test")
    run = queue_view_run(epochs=500, patience=0)
    start_worker()
    wait_for_first_epoch(run, 90, poll=0.2)
    job = start_inspection(image_ids=list(Image.objects.values_list("pk", flat=True)), conf_threshold=0.001, user=engineer)
    deadline = time.monotonic() + 120
    while not (status := read_status(INSPECTION, job.id)).finished:
        assert time.monotonic() < deadline, f"the inspection still waits: {status}"
        time.sleep(0.5)
    assert status.state == "done" and status.done == status.total > 0, status
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING  # it never waited for the training to end
    assert EpochMetric.objects.filter(run=run).count() < 500
    run.request_cancel(engineer)
