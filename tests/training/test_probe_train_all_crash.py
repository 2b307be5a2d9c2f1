"""A "train all" whose worker was killed during one of its models: what its waiting models say."""

from __future__ import annotations

import errno
from datetime import timedelta

import pytest
from django.utils import timezone

from training import jobs, models
from training.models import RunLogLine, RunStatus, TrainingRun
from training.sink import DatabaseSink


def launch_train_all(user) -> list[TrainingRun]:  # type: ignore[no-untyped-def]
    from core.training.config import load_config, to_json

    types = list(jobs.SEQUENCE_ORDER)
    return TrainingRun.objects.launch(types, {t: to_json(load_config(t, "cpu-quick")) for t in types}, {t: {} for t in types}, user)


def messages_of(run: TrainingRun) -> list[str]:
    return list(RunLogLine.objects.filter(run=run).values_list("message", flat=True))


@pytest.mark.django_db
def test_the_models_waiting_behind_a_run_whose_worker_died_say_what_to_do(engineer) -> None:  # type: ignore[no-untyped-def]
    """The worker killed during the view model: the sweep interrupted it, and the detection and defect runs stayed
    "Queued" with nothing in their log, while no worker would ever start them: only resuming the view run does."""
    view, detection, defect = launch_train_all(engineer)
    TrainingRun.objects.claim(view.pk, "gone", now=timezone.now() - timedelta(seconds=models.LEASE_SECONDS + 5))

    assert TrainingRun.objects.reap_expired() == [view.pk]

    statuses = dict(TrainingRun.objects.values_list("pk", "status"))
    assert statuses == {view.pk: RunStatus.INTERRUPTED, detection.pk: RunStatus.QUEUED, defect.pk: RunStatus.QUEUED}
    assert any(f"runs #{detection.pk} and #{defect.pk}" in line and "start after it" in line for line in messages_of(view))
    for waiting in (detection, defect):
        assert (
            f'Waiting for run #{view.pk} of this "train all": its worker stopped during it. Resume run #{view.pk} and this run '
            f"starts after it, or cancel run #{view.pk} to drop the rest." in messages_of(waiting)
        )


@pytest.mark.django_db
def test_a_single_run_whose_worker_died_says_only_to_resume_it() -> None:
    run = TrainingRun.objects.create(model_type="view", config={"epochs": 2})
    TrainingRun.objects.claim(run.pk, "gone", now=timezone.now() - timedelta(seconds=models.LEASE_SECONDS + 5))
    TrainingRun.objects.reap_expired()
    assert messages_of(run)[-1] == "Worker gone stopped answering; the run is interrupted. Resume it to continue."


@pytest.mark.django_db
def test_the_models_waiting_behind_a_run_stopped_by_a_full_disk_say_what_to_do(engineer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from training import tasks

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("core.training.runner.train", disk_full)
    monkeypatch.setattr("training.snapshot.snapshot_from_run_json", lambda data: None)
    view, detection, defect = launch_train_all(engineer)
    TrainingRun.objects.claim(view.pk, "w1")
    with pytest.raises(OSError):
        tasks._train(view, "w1", DatabaseSink(view.pk, "w1"))

    view.refresh_from_db()
    assert view.status == RunStatus.INTERRUPTED
    assert view.error.endswith(f'The later models of this "train all" (runs #{detection.pk} and #{defect.pk}) start after it.')
    for waiting in (detection, defect):
        assert f'Waiting for run #{view.pk} of this "train all": the disk filled up during it.' in messages_of(waiting)[-1]
