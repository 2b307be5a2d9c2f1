"""A "train all" whose worker was killed between two of its models: the maintenance sweep goes on with the rest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from training import jobs, models
from training.models import RunLogLine, RunStatus, TrainingRun


def launch_train_all(user) -> list[TrainingRun]:  # type: ignore[no-untyped-def]
    types = list(jobs.SEQUENCE_ORDER)
    return TrainingRun.objects.launch(types, {t: {"epochs": 2} for t in types}, {t: {} for t in types}, user)


def end_without_going_on(run: TrainingRun, status: str) -> None:
    """The worker finished ``run`` and was killed before it queued (or cancelled) the next model, a while ago."""
    TrainingRun.objects.claim(run.pk, "gone")
    TrainingRun.objects.finish(run.pk, "gone", status)
    TrainingRun.objects.filter(pk=run.pk).update(finished_at=timezone.now() - timedelta(seconds=models.LEASE_SECONDS + 5))


def messages_of(run: TrainingRun) -> list[str]:
    return list(RunLogLine.objects.filter(run=run).values_list("message", flat=True))


@pytest.mark.django_db
def test_the_next_model_of_a_train_all_whose_worker_died_after_a_success_is_queued_again(
    engineer, django_capture_on_commit_callbacks, monkeypatch, settings
) -> None:  # type: ignore[no-untyped-def]
    from django_q.conf import Conf

    view, detection, defect = launch_train_all(engineer)
    end_without_going_on(view, RunStatus.SUCCEEDED)
    # The maintenance schedule runs on the quick cluster, whose default queue is its own.
    monkeypatch.setattr(Conf, "CLUSTER_NAME", settings.QUICK_QUEUE)

    with django_capture_on_commit_callbacks(execute=True):
        jobs.periodic_maintenance()
    with django_capture_on_commit_callbacks(execute=True):
        jobs.periodic_maintenance()  # once only: the second sweep finds it queued again already

    assert OrmQ.objects.count() == 1
    assert OrmQ.objects.get().task["args"] == (detection.pk,)
    assert OrmQ.objects.get().key == settings.Q_CLUSTER["name"]  # the training queue, not the quick one
    assert messages_of(detection)[-1] == (
        f'Run #{view.pk} of this "train all" succeeded, but its worker stopped before starting this run; queued it again.'
    )
    assert TrainingRun.objects.get(pk=defect.pk).status == RunStatus.QUEUED


@pytest.mark.django_db
def test_the_rest_of_a_train_all_whose_worker_died_after_a_failure_is_cancelled(engineer) -> None:  # type: ignore[no-untyped-def]
    view, detection, defect = launch_train_all(engineer)
    end_without_going_on(view, RunStatus.FAILED)

    jobs.periodic_maintenance()

    for later in (detection, defect):
        later.refresh_from_db()
        assert later.status == RunStatus.CANCELLED
        assert later.error == f'Cancelled because run #{view.pk} of the same "train all" failed.'


@pytest.mark.django_db
def test_the_sweep_leaves_a_train_all_alone_while_its_model_just_ended_or_its_next_task_waits(
    engineer, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    view, detection, _ = launch_train_all(engineer)
    TrainingRun.objects.claim(view.pk, "w1")
    TrainingRun.objects.finish(view.pk, "w1", RunStatus.SUCCEEDED)  # just now: its worker is queueing the next one
    with django_capture_on_commit_callbacks(execute=True):
        jobs.periodic_maintenance()
    assert OrmQ.objects.count() == 0

    # The worker queued the next model, whose task waits behind another engineer's run.
    other = TrainingRun.objects.create(model_type="view", config={"epochs": 2})
    TrainingRun.objects.claim(other.pk, "w1")
    with django_capture_on_commit_callbacks(execute=True):
        detection.enqueue()
    TrainingRun.objects.filter(pk=view.pk).update(finished_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        jobs.periodic_maintenance()
    assert OrmQ.objects.count() == 1  # its own task only, not a second one
    assert TrainingRun.objects.get(pk=detection.pk).status == RunStatus.QUEUED


@pytest.mark.django_db
def test_a_stranded_train_all_goes_on_while_another_engineer_s_run_trains(engineer, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    """The sweep waited until no run trained anywhere: behind a colleague's 10-hour run, a "train all" whose worker
    died between two models said "Queued" for 10 hours with no task behind it."""
    view, detection, _ = launch_train_all(engineer)
    end_without_going_on(view, RunStatus.SUCCEEDED)
    other = TrainingRun.objects.create(model_type="view", config={"epochs": 2})
    TrainingRun.objects.claim(other.pk, "w1")

    with django_capture_on_commit_callbacks(execute=True):
        jobs.periodic_maintenance()

    assert [task.task["args"] for task in OrmQ.objects.all()] == [(detection.pk,)]
    assert "its worker stopped before starting this run; queued it again." in messages_of(detection)[-1]
