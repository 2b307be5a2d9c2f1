"""Claiming, leases, reaping and controls of training runs; the database sink."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_q.models import OrmQ

from core.training.events import EpochEvent, ProgressEvent, StopRequested
from training import jobs, models
from training.models import Control, ControlRefused, EpochMetric, RunEvent, RunLogLine, RunStatus, TrainingRun
from training.sink import DatabaseSink


def make_run(**fields: object) -> TrainingRun:
    return TrainingRun.objects.create(model_type="view", config={"epochs": 4}, **fields)


def event_types(run: TrainingRun) -> list[str]:
    return [event.payload["type"] for event in RunEvent.objects.filter(run=run)]


@pytest.mark.django_db
def test_claim_takes_a_queued_run_once() -> None:
    run = make_run()
    assert TrainingRun.objects.claim(run.pk, "w1")
    assert not TrainingRun.objects.claim(run.pk, "w2")
    run.refresh_from_db()
    assert (run.status, run.worker) == (RunStatus.RUNNING, "w1")
    assert run.lease_expires_at > timezone.now()
    assert "status" in event_types(run)


@pytest.mark.django_db
def test_claim_refuses_a_cancelled_run() -> None:
    run = make_run(status=RunStatus.CANCELLED)
    assert not TrainingRun.objects.claim(run.pk, "w1")


@pytest.mark.django_db(transaction=True)
def test_racing_workers_never_start_a_run_twice() -> None:
    run = make_run()
    barrier = threading.Barrier(6)
    results: list[bool] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results.append(TrainingRun.objects.claim(run.pk, f"w{index}"))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 5 + [True]


@pytest.mark.django_db
def test_heartbeat_renews_only_the_holders_lease() -> None:
    run = make_run()
    TrainingRun.objects.claim(run.pk, "w1", now=timezone.now() - timedelta(seconds=30))
    before = TrainingRun.objects.get(pk=run.pk).lease_expires_at
    assert TrainingRun.objects.heartbeat(run.pk, "w1")
    assert TrainingRun.objects.get(pk=run.pk).lease_expires_at > before
    assert not TrainingRun.objects.heartbeat(run.pk, "intruder")


@pytest.mark.django_db
def test_reaping_interrupts_runs_whose_lease_expired_and_leaves_live_ones() -> None:
    dead, alive = make_run(), make_run()
    TrainingRun.objects.claim(dead.pk, "gone", now=timezone.now() - timedelta(seconds=models.LEASE_SECONDS + 5))
    TrainingRun.objects.claim(alive.pk, "here")
    assert TrainingRun.objects.reap_expired() == [dead.pk]
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == RunStatus.INTERRUPTED and dead.lease_expires_at is None
    assert alive.status == RunStatus.RUNNING
    assert RunLogLine.objects.filter(run=dead, level="WARNING").exists()
    # The dead worker coming back cannot finish or renew it.
    assert not TrainingRun.objects.heartbeat(dead.pk, "gone")
    assert not TrainingRun.objects.finish(dead.pk, "gone", RunStatus.SUCCEEDED)


def ended_process_id() -> int:
    """The id of a process of this machine that has ended (and been collected)."""
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return child.pid


@pytest.mark.django_db
def test_reaping_interrupts_a_local_worker_whose_process_ended_once_its_heartbeat_is_overdue() -> None:
    ended, living, elsewhere = make_run(), make_run(), make_run()
    host = socket.gethostname()
    TrainingRun.objects.claim(ended.pk, f"{host}:{ended_process_id()}")
    TrainingRun.objects.claim(living.pk, jobs.worker_name())
    # Another machine's process ids say nothing here: only its lease counts.
    TrainingRun.objects.claim(elsewhere.pk, f"other-{host}:{ended_process_id()}")
    assert TrainingRun.objects.reap_expired() == [], "a fresh heartbeat is never reaped, even when its process id looks gone"
    overdue = timezone.now() + timedelta(seconds=models.STALE_HEARTBEAT_SECONDS + 1)
    assert TrainingRun.objects.reap_expired(now=overdue) == [ended.pk]
    assert TrainingRun.objects.get(pk=ended.pk).status == RunStatus.INTERRUPTED
    assert TrainingRun.objects.get(pk=living.pk).status == RunStatus.RUNNING
    assert TrainingRun.objects.get(pk=elsewhere.pk).status == RunStatus.RUNNING


@pytest.mark.django_db
def test_resume_queues_an_interrupted_run_again(engineer, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    run = make_run(status=RunStatus.INTERRUPTED)
    with django_capture_on_commit_callbacks(execute=True):
        run.request_resume(engineer)
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED
    assert OrmQ.objects.count() == 1
    with pytest.raises(ControlRefused):
        run.request_resume(engineer)


@pytest.mark.django_db
def test_cancel_is_immediate_when_queued_and_a_request_when_running(engineer) -> None:  # type: ignore[no-untyped-def]
    queued, running = make_run(), make_run()
    TrainingRun.objects.claim(running.pk, "w1")
    queued.request_cancel(engineer)
    running.request_cancel(engineer)
    queued.refresh_from_db()
    running.refresh_from_db()
    assert queued.status == RunStatus.CANCELLED and queued.finished_at is not None
    assert (running.status, running.control) == (RunStatus.RUNNING, Control.CANCEL)
    with pytest.raises(ControlRefused):
        queued.request_cancel(engineer)


@pytest.mark.django_db
def test_pause_needs_a_running_run(engineer) -> None:  # type: ignore[no-untyped-def]
    run = make_run()
    with pytest.raises(ControlRefused, match="cannot be paused"):
        run.request_pause(engineer)
    TrainingRun.objects.claim(run.pk, "w1")
    run.request_pause(engineer)
    assert TrainingRun.objects.get(pk=run.pk).control == Control.PAUSE


@pytest.mark.django_db
def test_pause_says_that_the_batches_of_the_current_epoch_are_trained_again(engineer) -> None:  # type: ignore[no-untyped-def]
    run = make_run()
    TrainingRun.objects.claim(run.pk, "w1")
    run.request_pause(engineer)
    message = RunLogLine.objects.get(run=run, message__startswith="Pause requested").message
    # Checkpoints are written at the end of an epoch only: the pause must not promise one after this batch.
    assert "checkpoint is written after this batch" not in message
    assert "stops after this batch" in message and "repeats the current epoch from its start" in message


@pytest.mark.django_db
@pytest.mark.parametrize(
    "epoch, expected",
    [
        (3, "Paused during epoch 3; the batches of that epoch are dropped. Resume to train epoch 3 again from the checkpoint of epoch 2."),
        (1, "Paused during epoch 1, before the first checkpoint. Resume to start the training again."),
    ],
)
def test_a_paused_run_says_where_a_resume_starts(monkeypatch, epoch: int, expected: str) -> None:  # type: ignore[no-untyped-def]
    from core.training.config import load_config, to_json
    from training import tasks

    def pause_during_epoch(*args: object, **kwargs: object) -> None:
        raise StopRequested("pause", epoch)

    monkeypatch.setattr("core.training.runner.train", pause_during_epoch)
    monkeypatch.setattr("training.snapshot.snapshot_from_run_json", lambda data: None)
    run = TrainingRun.objects.create(model_type="view", config=to_json(load_config("view", "cpu-quick")))
    TrainingRun.objects.claim(run.pk, "w1")
    assert tasks._train(run, "w1", DatabaseSink(run.pk, "w1")) == RunStatus.PAUSED
    assert RunLogLine.objects.filter(run=run, message=expected).exists(), list(RunLogLine.objects.values_list("message", flat=True))


@pytest.mark.django_db
def test_train_all_creates_the_sequence_in_order_and_a_failure_cancels_the_rest(engineer) -> None:  # type: ignore[no-untyped-def]
    types = list(jobs.SEQUENCE_ORDER)
    runs = TrainingRun.objects.launch(types, {t: {"epochs": 2} for t in types}, {t: {} for t in types}, engineer)
    assert [run.model_type for run in runs] == ["view", "detection", "defect"]
    assert runs[0].next_in_sequence() == runs[1]
    runs[0].cancel_rest_of_sequence("The view run failed.")
    assert set(TrainingRun.objects.filter(pk__in=[runs[1].pk, runs[2].pk]).values_list("status", flat=True)) == {RunStatus.CANCELLED}


@pytest.mark.django_db
def test_queue_eta_adds_the_later_runs_of_a_sequence(engineer) -> None:  # type: ignore[no-untyped-def]
    past = make_run(status=RunStatus.SUCCEEDED)
    EpochMetric.objects.create(run=past, epoch=1, seconds=10.0)
    configs = {"view": {"epochs": 3}, "detection": {"epochs": 2}}
    runs = TrainingRun.objects.launch(["view", "detection"], configs, {"view": {}, "detection": {}}, engineer)
    EpochMetric.objects.create(run=runs[0], epoch=1, seconds=4.0)
    EpochMetric.objects.create(run=runs[0], epoch=2, seconds=6.0)
    # view: 2 epochs done at 5 s -> 5 s left; detection: no history of its type -> unknown.
    assert runs[0].estimate().remaining_seconds == pytest.approx(5.0)
    assert runs[0].queue_remaining_seconds() is None
    other = TrainingRun.objects.create(model_type="detection", status=RunStatus.SUCCEEDED, config={"epochs": 1})
    EpochMetric.objects.create(run=other, epoch=1, seconds=20.0)
    assert runs[0].queue_remaining_seconds() == pytest.approx(5.0 + 2 * 20.0)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.django_db
def test_sink_writes_epochs_and_throttles_progress() -> None:
    run = make_run()
    TrainingRun.objects.claim(run.pk, "w1")
    clock = FakeClock()
    sink = DatabaseSink(run.pk, "w1", clock=clock)
    for batch in range(1, 6):
        clock.now += 0.3
        sink.on_progress(ProgressEvent(epoch=1, epochs=4, batch=batch, batches=10))
    sink.on_epoch(EpochEvent(epoch=1, epochs=4, metrics={"train/loss": 1.5, "val/loss": float("nan")}, learning_rate=0.01, seconds=8.0))
    sink.on_log("warning", "PASS has few crops.")
    types = event_types(run)
    # Five batches in 1.5 s: the first, then one after a second.
    assert types.count("progress") == 2
    metric = EpochMetric.objects.get(run=run, epoch=1)
    assert metric.metrics == {"train/loss": 1.5, "val/loss": None}
    assert metric.eta_seconds == pytest.approx(24.0)
    assert TrainingRun.objects.get(pk=run.pk).progress["epoch"] == 1
    assert RunLogLine.objects.filter(run=run, level="WARNING", message="PASS has few crops.").exists()
    # Writing the same epoch again (a resumed run) replaces it.
    sink.on_epoch(EpochEvent(epoch=1, epochs=4, metrics={"train/loss": 1.2}, seconds=8.0))
    assert EpochMetric.objects.get(run=run, epoch=1).metrics == {"train/loss": 1.2}


@pytest.mark.django_db
def test_a_replayed_epoch_fills_a_missing_row_and_leaves_a_kept_one_alone() -> None:
    """On resume a trainer sends its last saved epoch again: a worker killed before its row committed lost it."""
    run = make_run()
    TrainingRun.objects.claim(run.pk, "w1")
    sink = DatabaseSink(run.pk, "w1")
    sink.on_epoch(EpochEvent(epoch=1, epochs=4, metrics={"train/loss": 1.5}, seconds=8.0))
    events = RunEvent.objects.filter(run=run).count()
    sink.on_epoch(EpochEvent(epoch=1, epochs=4, metrics={"train/loss": 9.9}, seconds=1.0, replayed=True))
    assert EpochMetric.objects.get(run=run, epoch=1).metrics == {"train/loss": 1.5}
    assert RunEvent.objects.filter(run=run).count() == events  # nothing announced twice
    sink.on_epoch(EpochEvent(epoch=2, epochs=4, metrics={"train/loss": 1.1}, seconds=7.0, replayed=True))
    assert EpochMetric.objects.get(run=run, epoch=2).metrics == {"train/loss": 1.1}
    assert event_types(run)[events:] == ["epoch"]


@pytest.mark.django_db
def test_sink_reads_the_control_at_most_twice_a_second(engineer, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    run = make_run()
    TrainingRun.objects.claim(run.pk, "w1")
    clock = FakeClock()
    sink = DatabaseSink(run.pk, "w1", clock=clock)
    assert sink.stop_requested() is None
    run.request_pause(engineer)
    with django_assert_num_queries(0):
        clock.now += 0.2
        assert sink.stop_requested() is None
    clock.now += 0.4
    assert sink.stop_requested() == "pause"


@pytest.mark.django_db
def test_sink_stops_a_worker_that_lost_its_run() -> None:
    run = make_run()
    TrainingRun.objects.claim(run.pk, "w1", now=timezone.now() - timedelta(seconds=models.LEASE_SECONDS + 1))
    TrainingRun.objects.reap_expired()
    sink = DatabaseSink(run.pk, "w1")
    assert sink.stop_requested() == "cancel"
    assert sink.lease_lost


@pytest.mark.django_db
def test_the_status_event_carries_what_each_control_may_do(engineer) -> None:  # type: ignore[no-untyped-def]
    def last_status(run: TrainingRun) -> dict:  # type: ignore[type-arg]
        return RunEvent.objects.filter(run=run, payload__type="status").last().payload

    run = TrainingRun.objects.launch(["view"], {"view": {"epochs": 2}}, {"view": {}}, engineer)[0]
    assert last_status(run)["controls"] == {"pause": False, "resume": False, "cancel": True}
    TrainingRun.objects.claim(run.pk, "w1")
    assert last_status(run)["controls"] == {"pause": True, "resume": False, "cancel": True}
    assert last_status(run)["remaining_note"] == ""
    run.refresh_from_db()
    run.request_pause(engineer)
    assert last_status(run)["controls"] == {"pause": False, "resume": False, "cancel": True}
    TrainingRun.objects.finish(run.pk, "w1", RunStatus.PAUSED)
    assert last_status(run)["controls"] == {"pause": False, "resume": True, "cancel": True}
    assert last_status(run)["final"] is False
    # Paused, the clock stands still: the page says the time left is what a resume will take.
    assert last_status(run)["remaining_note"] == " of training left once resumed"
    run.refresh_from_db()
    run.request_cancel(engineer)
    status = last_status(run)
    assert status["controls"] == {"pause": False, "resume": False, "cancel": False} and status["final"] is True


@pytest.mark.django_db
def test_opening_the_dashboard_writes_nothing(client, engineer) -> None:  # type: ignore[no-untyped-def]
    run = make_run()
    TrainingRun.objects.claim(run.pk, "gone", now=timezone.now() - timedelta(seconds=models.LEASE_SECONDS + 5))
    events, lines = RunEvent.objects.count(), RunLogLine.objects.count()
    client.force_login(engineer)
    assert client.get("/training/").status_code == 200
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING, "a GET must not reap: the worker and the schedule do"
    assert (RunEvent.objects.count(), RunLogLine.objects.count()) == (events, lines)
