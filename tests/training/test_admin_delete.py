"""A run deleted in the admin: its folder goes with it, and its TensorBoard answers 404; a running run is not deleted."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.conf import settings
from django.test import Client

from training.models import RunStatus, TrainingRun
from wiresag_web.asgi import application


def logged_in(user):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client, (b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode())


def tensorboard_tags(run_id: int, cookie):  # type: ignore[no-untyped-def]
    async def fetch():  # type: ignore[no-untyped-def]
        path = f"/tensorboard/{run_id}/data/plugin/scalars/tags"
        return await HttpCommunicator(application, "GET", path, headers=[(b"host", b"localhost"), cookie]).get_response(timeout=20)

    return async_to_sync(fetch)()


@pytest.mark.django_db(transaction=True)
def test_a_run_deleted_in_the_admin_takes_its_folder_and_tensorboard_with_it(admin_user, tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    from torch.utils.tensorboard import SummaryWriter

    settings.RUNS_DIR = tmp_path / "runs"
    run = TrainingRun.objects.create(model_type="defect", config={"epochs": 3}, status=RunStatus.SUCCEEDED)
    board = settings.RUNS_DIR / f"run-{run.pk}" / "tensorboard"
    board.mkdir(parents=True)
    with SummaryWriter(str(board)) as writer:
        writer.add_scalar("deleted_run_metric", 0.5, 1)
    client, cookie = logged_in(admin_user)
    assert b"deleted_run_metric" in tensorboard_tags(run.pk, cookie)["body"]  # served while the run exists
    response = client.post(f"/admin/training/trainingrun/{run.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not TrainingRun.objects.filter(pk=run.pk).exists()
    assert not (settings.RUNS_DIR / f"run-{run.pk}").exists()
    board.mkdir(parents=True)  # even if a folder were left behind, the run is gone
    answer = tensorboard_tags(run.pk, cookie)
    assert answer["status"] == 404 and b"There is no such run" in answer["body"]


@pytest.mark.django_db
def test_a_running_run_is_not_deleted_in_the_admin(admin_user, tmp_path, settings, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    settings.RUNS_DIR = tmp_path / "runs"
    running = TrainingRun.objects.create(model_type="defect", config={"epochs": 3}, status=RunStatus.RUNNING)
    done = TrainingRun.objects.create(model_type="defect", config={"epochs": 3}, status=RunStatus.SUCCEEDED)
    client, _ = logged_in(admin_user)
    refused = client.post(f"/admin/training/trainingrun/{running.pk}/delete/", {"post": "yes"})
    assert refused.status_code == 302 and refused.url == f"/admin/training/trainingrun/{running.pk}/change/"  # with a sentence
    selection = {"action": "delete_selected", "_selected_action": [running.pk, done.pk]}
    confirm = client.post("/admin/training/trainingrun/", selection).content.decode()
    assert "permission to delete" in confirm  # the confirmation page names what cannot go
    assert client.post("/admin/training/trainingrun/", {**selection, "post": "yes"}).status_code == 403
    assert set(TrainingRun.objects.values_list("pk", flat=True)) == {running.pk, done.pk}
    (settings.RUNS_DIR / f"run-{done.pk}").mkdir(parents=True)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/training/trainingrun/", {"action": "delete_selected", "_selected_action": [done.pk], "post": "yes"})
    assert list(TrainingRun.objects.values_list("pk", flat=True)) == [running.pk]
    assert not (settings.RUNS_DIR / f"run-{done.pk}").exists()


@pytest.mark.django_db
def test_the_run_admin_keeps_its_columns_filters_and_epochs(admin_user) -> None:  # type: ignore[no-untyped-def]
    from django.contrib import admin

    run_admin = admin.site._registry[TrainingRun]
    assert run_admin.list_display[:3] == ("id", "model_type", "status") and run_admin.list_filter == ("model_type", "status")
    assert "traceback" in run_admin.readonly_fields and [inline.__name__ for inline in run_admin.inlines] == ["EpochInline"]
    run = TrainingRun.objects.create(model_type="defect", config={"epochs": 3}, status=RunStatus.FAILED)
    client, _ = logged_in(admin_user)
    assert client.get(f"/admin/training/trainingrun/{run.pk}/change/").status_code == 200
    assert client.get("/admin/training/trainingrun/?status__exact=failed").status_code == 200
