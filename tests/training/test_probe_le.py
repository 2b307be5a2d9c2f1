"""A training run whose django-q2 task was lost (the web process killed right after saving it, a queue row lost)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from training import jobs
from training.models import TASK_FUNCTION, RunLogLine, RunStatus, TrainingRun


def launch(user, types: tuple[str, ...] = ("view",)) -> list[TrainingRun]:  # type: ignore[no-untyped-def]
    from core.training.config import load_config, to_json

    return TrainingRun.objects.launch(list(types), {t: to_json(load_config(t, "cpu-quick")) for t in types}, {t: {} for t in types}, user)


def tasks_for(run: TrainingRun) -> int:
    return sum(1 for row in OrmQ.objects.all() if row.task.get("func") == TASK_FUNCTION and tuple(row.task.get("args", ())) == (run.pk,))


def messages_of(run: TrainingRun) -> list[str]:
    return list(RunLogLine.objects.filter(run=run).values_list("message", flat=True))


@pytest.fixture
def later(monkeypatch):  # type: ignore[no-untyped-def]
    """Move the clock on by some minutes, as the every-minute sweep sees it."""

    def move(minutes: float) -> None:
        moment = timezone.now() + timedelta(minutes=minutes)
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return move


def sweep(capture) -> None:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        jobs.periodic_maintenance()


@pytest.mark.django_db
def test_a_run_whose_task_never_reached_the_queue_is_queued_again_once(  # type: ignore[no-untyped-def]
    engineer, later, django_capture_on_commit_callbacks
) -> None:
    """The web process died right after the form saved the run: no task, and the page said "Queued" for ever."""
    with django_capture_on_commit_callbacks(execute=False):  # the process died before its after-commit hook ran
        (run,) = launch(engineer)
    assert tasks_for(run) == 0

    later(10)
    sweep(django_capture_on_commit_callbacks)

    assert tasks_for(run) == 1
    assert TrainingRun.objects.get(pk=run.pk).status == RunStatus.QUEUED
    assert any("queued it again" in line for line in messages_of(run)), messages_of(run)
    lines = len(messages_of(run))
    sweep(django_capture_on_commit_callbacks)  # its task waits in the queue now: nothing more
    assert tasks_for(run) == 1
    assert len(messages_of(run)) == lines


@pytest.mark.django_db
def test_a_resumed_run_whose_task_was_lost_is_queued_again(engineer, later, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    run = TrainingRun.objects.create(model_type="view", config={"epochs": 2}, status=RunStatus.PAUSED)
    with django_capture_on_commit_callbacks(execute=False):
        run.request_resume(engineer)

    later(10)
    sweep(django_capture_on_commit_callbacks)

    assert tasks_for(run) == 1


@pytest.mark.django_db
def test_a_run_whose_task_waits_in_the_queue_or_is_held_by_a_worker_is_left_alone(  # type: ignore[no-untyped-def]
    engineer, later, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        waiting, held = launch(engineer)[0], launch(engineer)[0]
    row = next(row for row in OrmQ.objects.all() if tuple(row.task["args"]) == (held.pk,))
    OrmQ.objects.filter(pk=row.pk).update(lock=timezone.now() + timedelta(hours=30))  # a worker took it, not yet claimed

    later(60)
    sweep(django_capture_on_commit_callbacks)

    assert (tasks_for(waiting), tasks_for(held)) == (1, 1)
    assert not any("queued it again" in line for run in (waiting, held) for line in messages_of(run))


@pytest.mark.django_db
def test_the_later_models_of_a_train_all_waiting_for_their_turn_are_not_queued(  # type: ignore[no-untyped-def]
    engineer, later, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        view, detection, defect = launch(engineer, jobs.SEQUENCE_ORDER)

    later(60)
    sweep(django_capture_on_commit_callbacks)

    assert [tasks_for(run) for run in (view, detection, defect)] == [1, 0, 0]


@pytest.mark.django_db
def test_a_run_whose_task_is_lost_again_is_interrupted_with_a_sentence(  # type: ignore[no-untyped-def]
    engineer, later, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        (run,) = launch(engineer)
    later(10)
    sweep(django_capture_on_commit_callbacks)
    OrmQ.objects.all().delete()  # lost once more

    later(20)
    sweep(django_capture_on_commit_callbacks)

    run.refresh_from_db()
    assert run.status == RunStatus.INTERRUPTED
    assert "resume it once the worker runs again" in run.error
    assert tasks_for(run) == 0


# --- the cross-validation job: a fold that held out no wire of SWEEP, WOBBLE or TOUCH ------------------------------

TINY_DEFECT = "epochs: 1\nimage_size: 32\nbatch: 8\nshape_features: false\nsamples_every: 1000\n"


@pytest.fixture
def pass_heavy_library(db, tmp_path, settings) -> int:  # type: ignore[no-untyped-def]
    """Ten PASS wires and two of each defect, both views: in ten folds, some hold out PASS wires only."""
    from tests.live_fixtures import ingest_synthetic

    settings.RUNS_DIR = tmp_path / "runs"
    settings.DATASETS_DIR = tmp_path / "datasets"
    return ingest_synthetic(tmp_path / "synthetic", {"PASS": 10, "SWEEP": 2, "WOBBLE": 2, "TOUCH": 2}, image_size=48)


def fold_trained_perfectly(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """No real training: each fold "predicts" the truth, and the final model is cancelled at its first batch."""
    import types

    import core.crossval
    import core.training.runner
    from core.evaluation.outoffold import FoldOutcome
    from core.labels import SEVERITY
    from core.training.events import StopRequested

    def train(model_type, config, snapshot, folder, sink, **kwargs):  # type: ignore[no-untyped-def]
        if not str(folder).split("/")[-1].startswith("fold-"):
            raise StopRequested("cancel", 1)
        folder.mkdir(parents=True, exist_ok=True)
        return types.SimpleNamespace(best_checkpoint=folder / "best.pt", last_checkpoint=folder / "last.pt")

    def predict(checkpoint, model_type, held_out, fold, seed):  # type: ignore[no-untyped-def]
        outcome = FoldOutcome(fold=fold, seed=seed)
        wires: dict[str, str] = {}
        for record in held_out:
            for box in record.boxes:
                outcome.picture_truth.append(box.defect)
                outcome.picture_predicted.append(box.defect)
                wires[record.wire_key] = max(wires.get(record.wire_key, box.defect), box.defect, key=SEVERITY.__getitem__)
        outcome.wire_ids = sorted(wires)
        outcome.wire_truth = outcome.wire_predicted = [wires[key] for key in outcome.wire_ids]
        return outcome

    monkeypatch.setattr(core.training.runner, "train", train)
    monkeypatch.setattr(core.crossval, "predict_held_out", predict)


def test_a_cross_validation_with_folds_of_pass_wires_only_keeps_its_table_and_shows_no_nan(  # type: ignore[no-untyped-def]
    client, engineer, pass_heavy_library, monkeypatch
) -> None:
    """Ten folds of a library with few defect wires: a fold that held out PASS wires only has no score over
    SWEEP/WOBBLE/TOUCH (NaN), which no JSON column stores: every fold trained, then the run failed with
    "CHECK constraint failed: JSON_VALID(...)" and the out-of-fold table was lost."""
    from django.urls import reverse

    from training import tasks
    from training.sink import DatabaseSink

    client.force_login(engineer)
    form = {"model_type": "defect", "preset": "cpu-quick", "device": "cpu", "folds": "10", "defect_settings": TINY_DEFECT}
    client.post(reverse("training:launch"), form)
    run = TrainingRun.objects.get()
    fold_trained_perfectly(monkeypatch)
    TrainingRun.objects.claim(run.pk, "w1")

    assert tasks._train(run, "w1", DatabaseSink(run.pk, "w1")) == RunStatus.CANCELLED  # the final model, cancelled

    run.refresh_from_db()
    assert run.error == ""
    folds = run.cross_validation["folds"]
    assert len(folds) == 10
    assert any(fold["wire_bacc_three"] is None for fold in folds)  # held out no wire of those classes
    assert run.cross_validation["scores"]["wire_bacc_three"]["mean"] == 1.0
    page = client.get(reverse("training:run_detail", args=[run.pk])).content.decode()
    section = page[page.index('id="cross-validation"') :]
    assert "nan" not in section.lower()
    # Each fold's row has one cell per column, so no score slips under another column's heading.
    rows = section[section.index('class="cv-folds"') :].split("</table>")[0].split("<tr>")[2:]
    assert all(row.count("<td>") == 3 for row in rows), rows


def test_the_launch_form_says_a_cross_validation_registers_its_final_model(client, engineer) -> None:  # type: ignore[no-untyped-def]
    """The help said "registers no model version", but the job trains the final model on all wires and registers it
    (the registry then lists a new version, which the quality gate judges by the out-of-fold table)."""
    from django.urls import reverse

    client.force_login(engineer)
    page = client.get(reverse("training:launch")).content.decode()
    assert "registers no model version" not in page
    assert "registers it as a new model version" in page


@pytest.mark.parametrize("status", [RunStatus.CANCELLED, RunStatus.FAILED])
def test_a_cross_validation_that_ended_before_its_folds_does_not_promise_the_table(client, engineer, status) -> None:  # type: ignore[no-untyped-def]
    """Cancelled (or failed) in fold 3 of 5, the page still said the table "appears here when every fold has finished"."""
    from django.urls import reverse

    run = TrainingRun.objects.create(model_type="defect", config={"epochs": 1}, folds=5, status=status, finished_at=timezone.now())
    client.force_login(engineer)
    page = client.get(reverse("training:run_detail", args=[run.pk])).content.decode()
    section = page[page.index('id="cross-validation"') :]
    assert "appears here when every fold has finished" not in section
    assert "ended before every fold had finished" in section
