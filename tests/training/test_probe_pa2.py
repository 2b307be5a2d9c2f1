"""The Django admin's training run pages: a run's state is the worker's and the run page's, never typed in by hand."""

from __future__ import annotations

import pytest
from django.test import Client

from training.models import RunStatus, TrainingRun


@pytest.mark.django_db
def test_a_run_cannot_be_set_running_or_added_by_hand_in_the_admin(admin_user) -> None:  # type: ignore[no-untyped-def]
    """The run's change page was an ordinary form: an admin could set a finished run to "Running" (the run page then
    offered Pause and Cancel for a run no worker held, and the run blocked nothing it should), point its checkpoint
    path anywhere on disk, or add a "Queued" run that nothing would ever queue."""
    run = TrainingRun.objects.create(model_type="defect", config={"epochs": 3}, status=RunStatus.SUCCEEDED)
    client = Client()
    client.force_login(admin_user)
    form = {
        "model_type": "defect",
        "status": RunStatus.RUNNING,
        "device": "cpu",
        "control": "",
        "progress": "{}",
        "checkpoint_path": "/etc/passwd",
        "sequence": "",
        "sequence_index": "0",
        "folds": "0",
        "cross_validation": "{}",
        "launch_token": "",
        "epochs-TOTAL_FORMS": "0",
        "epochs-INITIAL_FORMS": "0",
        "epochs-MIN_NUM_FORMS": "0",
        "epochs-MAX_NUM_FORMS": "1000",
    }

    client.post(f"/admin/training/trainingrun/{run.pk}/change/", form)
    client.post("/admin/training/trainingrun/add/", form)

    run.refresh_from_db()
    assert (run.status, run.checkpoint_path) == (RunStatus.SUCCEEDED, "")
    assert list(TrainingRun.objects.values_list("pk", flat=True)) == [run.pk]
    page = client.get(f"/admin/training/trainingrun/{run.pk}/change/").content.decode()
    assert 'name="status"' not in page and 'name="_save"' not in page
    assert "Succeeded" in page  # still readable
