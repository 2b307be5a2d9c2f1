"""Deleting a queued or paused run in the Django admin: the later models of its "train all" must not be left "Queued"."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from training import jobs
from training.models import RunStatus, TrainingRun


@pytest.mark.parametrize("status", [RunStatus.QUEUED, RunStatus.PAUSED])
@pytest.mark.django_db
def test_the_first_model_of_a_train_all_is_not_deleted_while_the_others_wait_for_it(  # type: ignore[no-untyped-def]
    admin_user, engineer, status, django_capture_on_commit_callbacks
) -> None:
    """Deleting the view run of a "train all" while it waited (or was paused) left the detection and defect runs
    "Queued" for ever: nothing would queue them (the worker queues the next model when one succeeds, the maintenance
    sweep looks for the previous run of the sequence and found none), and the page said nothing."""
    from core.training.config import load_config, to_json

    types = jobs.SEQUENCE_ORDER
    with django_capture_on_commit_callbacks(execute=True):
        configs = {t: to_json(load_config(t, "cpu-quick")) for t in types}
        first, *_ = TrainingRun.objects.launch(list(types), configs, {t: {} for t in types}, engineer)
    TrainingRun.objects.filter(pk=first.pk).update(status=status)
    client = Client()
    client.force_login(admin_user)

    response = client.post(f"/admin/training/trainingrun/{first.pk}/delete/", {"post": "yes"})

    assert TrainingRun.objects.filter(pk=first.pk).exists()
    assert response.status_code == 302 and response.url == f"/admin/training/trainingrun/{first.pk}/change/"
    said = [str(message) for message in get_messages(response.wsgi_request)]
    assert said == [
        f'Run #{first.pk} is {status.label.lower()}, so it is not deleted: cancel it on its page first (a "train all" '
        "cancels its later models with it), then delete it here."
    ], said
