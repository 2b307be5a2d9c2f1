"""Training pages whose cost grew with the library: each run's frozen dataset snapshot read to show a line about it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from training.models import RunStatus, TrainingRun

pytestmark = pytest.mark.django_db

#: What a run freezes about a library of 2,000 pictures (the records name each picture and its boxes).
SNAPSHOT = {
    "train": [[i, 1] for i in range(1600)],
    "val": [[i, 1] for i in range(1600, 2000)],
    "records": [{"path": f"/data/media/images/{i:064d}.png", "boxes": [[1, 1, 5, 5, "TOP", "SWEEP", i, 1]]} for i in range(2000)],
}


def _runs(count: int, **fields: object) -> list[TrainingRun]:
    return [
        TrainingRun.objects.create(
            model_type="defect", config={"epochs": 3}, dataset_snapshot=SNAPSHOT, status=RunStatus.SUCCEEDED, **fields
        )
        for _ in range(count)
    ]


def _snapshot_reads(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if "dataset_snapshot" in query["sql"]]


def test_the_dashboard_reads_no_run_s_dataset_snapshot(client, engineer) -> None:  # type: ignore[no-untyped-def]
    """The dashboard (and its live snapshot) loaded the last 100 runs whole: each run's frozen record of every picture it
    learned from, megabytes per run on a library of tens of thousands, decoded to show one line per run."""
    from training.live import dashboard_state

    _runs(3)
    client.force_login(engineer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("training:dashboard"))
        state = dashboard_state()
    assert response.status_code == 200 and len(state["runs"]) == 3 and state["runs"][0]["epochs"] == 3
    assert _snapshot_reads(queries) == []


def test_a_run_page_reads_no_run_s_dataset_snapshot(client, engineer) -> None:  # type: ignore[no-untyped-def]
    """A "train all" run's page decoded its own snapshot, each run of its sequence's and again the later runs' for the time
    left (six records of the whole library per view); each control's status event decoded it once more."""
    from training.models import RunEvent

    sequence = _runs(3, sequence="a" * 32)
    for index, run in enumerate(sequence):
        TrainingRun.objects.filter(pk=run.pk).update(sequence_index=index, status=RunStatus.QUEUED)
    client.force_login(engineer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("training:run_detail", args=[sequence[0].pk]))
        RunEvent.objects.status(sequence[0].pk)
    assert response.status_code == 200 and len(response.context["sequence"]) == 3
    assert _snapshot_reads(queries) == []
