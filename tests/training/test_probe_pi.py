"""Probes of the embedded TensorBoard (no thread per run viewed, few in memory, a cross-validation's folds) and of the
live websocket after a password change."""

from __future__ import annotations

import gc
import json
import threading

import pytest

from core.training.events import EpochEvent
from core.training.tensorboard import TensorBoardSink
from tests.training.test_tensorboard import cookie_of, get
from training.models import TrainingRun
from training.tensorboard_app import log_dir

pytestmark = pytest.mark.django_db(transaction=True)

RUNS = 20


def run_with_scalars(epochs: int = 1) -> TrainingRun:
    run = TrainingRun.objects.create(model_type="view", config={"epochs": epochs})
    sink = TensorBoardSink(log_dir(run.pk))
    for epoch in range(1, epochs + 1):
        sink.on_epoch(EpochEvent(epoch=epoch, epochs=epochs, metrics={"train/loss": 1 / epoch}, learning_rate=0.01))
    sink.close()
    return run


def live_tensorboards() -> int:
    from tensorboard.backend.application import TensorBoardWSGI

    gc.collect()
    return sum(type(thing) is TensorBoardWSGI for thing in gc.get_objects())


def test_opening_many_runs_tensorboards_leaves_no_thread_per_run_and_few_in_memory(engineer, settings, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Each run's TensorBoard started on first view and stayed for the life of the web process, with a reload
    thread of its own walking the run's folder every 5 seconds and every event it loaded in memory, deleted runs
    included: an engineer paging through a few hundred runs' TensorBoards left a few hundred threads and their data."""
    settings.RUNS_DIR = tmp_path / "runs"
    monkeypatch.setattr("training.tensorboard_app._apps", {})
    runs = [run_with_scalars() for _ in range(RUNS)]
    cookie = cookie_of(engineer)
    threads_before = {thread.ident for thread in threading.enumerate()}
    boards_before = live_tensorboards()

    for run in runs:
        answer = get(f"/tensorboard/{run.pk}/data/plugin/scalars/tags", cookie)
        assert answer["status"] == 200
        assert "train/loss" in json.loads(answer["body"])["."]

    started = [thread.name for thread in threading.enumerate() if thread.ident not in threads_before]
    assert len(started) < RUNS // 2, started
    assert live_tensorboards() - boards_before < RUNS // 2


def test_a_cached_tensorboard_shows_the_epochs_written_after_it_opened(engineer, settings, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings.RUNS_DIR = tmp_path / "runs"
    monkeypatch.setattr("training.tensorboard_app._apps", {})
    run = run_with_scalars(epochs=1)
    cookie = cookie_of(engineer)
    scalars = f"/tensorboard/{run.pk}/data/plugin/scalars/scalars?run=.&tag=train%2Floss"
    assert len(json.loads(get(scalars, cookie)["body"])) == 1

    sink = TensorBoardSink(log_dir(run.pk), purge_step=2)
    sink.on_epoch(EpochEvent(epoch=2, epochs=2, metrics={"train/loss": 0.5}, learning_rate=0.01))
    sink.close()
    monkeypatch.setattr("training.tensorboard_app.RELOAD_SECONDS", 0.0)

    for _ in range(50):  # the old reload thread needs up to its interval; an on-request reload needs none
        points = json.loads(get(scalars, cookie)["body"])
        if len(points) == 2:
            break
        threading.Event().wait(0.2)
    assert [point[1] for point in points] == [1, 2]


def test_a_cross_validations_tensorboard_shows_its_folds_while_they_train(engineer, settings, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Each fold writes its TensorBoard files in run-<id>/fold-<k>/tensorboard, the final model in run-<id>/tensorboard.
    The run page's TensorBoard read only the latter: during the folds (k of the k + 1 trainings) it said "This run has
    not written TensorBoard data yet; it appears once training starts" while the run trained, and afterwards it
    never showed a fold."""
    settings.RUNS_DIR = tmp_path / "runs"
    monkeypatch.setattr("training.tensorboard_app._apps", {})
    run = TrainingRun.objects.create(model_type="defect", config={"epochs": 1}, folds=3)
    sink = TensorBoardSink(TrainingRun.folder_of(run.pk) / "fold-1" / "tensorboard")  # as core.crossval trains fold 1
    sink.on_epoch(EpochEvent(epoch=1, epochs=1, metrics={"train/loss": 0.7}, learning_rate=0.01))
    sink.close()
    cookie = cookie_of(engineer)

    assert get(f"/tensorboard/{run.pk}/", cookie)["status"] == 200
    tags = json.loads(get(f"/tensorboard/{run.pk}/data/plugin/scalars/tags", cookie)["body"])
    assert "train/loss" in tags["fold-1/tensorboard"]
    assert json.loads(get(f"/tensorboard/{run.pk}/data/logdir", cookie)["body"])["logdir"] == f"run-{run.pk}"


@pytest.mark.parametrize("hand", ["own-password-page", "admin-sets-it"])
def test_an_open_run_page_stops_streaming_once_the_password_is_changed(engineer, hand) -> None:  # type: ignore[no-untyped-def]
    """A password change ends the account's other sessions (Django checks the session's password hash on each page):
    a stolen session is shut out by changing the password. The live websocket checked the session only for being
    stored and unexpired, so a page opened with the stolen session went on getting every event of the run."""
    from django.test import Client

    from tests.conftest import PASSWORD
    from tests.training.test_consumers import live_event_after, session_cookie

    run = TrainingRun.objects.create(model_type="defect", config={"epochs": 3})
    TrainingRun.objects.claim(run.pk, "w1")
    stolen = session_cookie(engineer)

    def change_password() -> None:
        if hand == "own-password-page":
            owner = Client()
            owner.force_login(engineer)
            new = "a brand new horse battery"
            answer = owner.post("/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
            assert answer.status_code == 302
        else:
            engineer.set_password("set by the admin 2024 x")
            engineer.save()

    leaked = live_event_after(run, stolen, change_password, "secret: picture w042_TOP.png of lot 7 is a TOUCH")
    assert leaked is None, f"a session the password change ended still got the live event {leaked!r}"


def test_a_session_from_before_a_secret_key_rotation_still_streams(engineer, settings) -> None:  # type: ignore[no-untyped-def]
    """Sessions hashed with a key of SECRET_KEY_FALLBACKS still log in (Django's rotation), so they keep watching."""
    from channels.db import database_sync_to_async
    from channels.testing import WebsocketCommunicator

    from tests.training.test_consumers import HOST, ORIGIN, TIMEOUT, receive_until, run_async, session_cookie
    from training.sink import DatabaseSink
    from wiresag_web.asgi import application

    run = TrainingRun.objects.create(model_type="defect", config={"epochs": 3})
    TrainingRun.objects.claim(run.pk, "w1")
    cookie = session_cookie(engineer)
    sink = DatabaseSink(run.pk, "w1")

    async def scenario() -> None:
        page = WebsocketCommunicator(application, f"/ws/training/runs/{run.pk}/", headers=[HOST, ORIGIN, cookie])
        assert (await page.connect(timeout=TIMEOUT))[0]
        assert (await page.receive_json_from(timeout=TIMEOUT))["type"] == "snapshot"
        settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
        settings.SECRET_KEY = "a rotated secret key " * 3
        await database_sync_to_async(sink.on_log)("INFO", "epoch 2 begins")
        assert (await receive_until(page, "log"))["message"] == "epoch 2 begins"
        await page.disconnect()

    run_async(scenario)
