"""Registry pages whose cost grew with the library: a query per history line, every run's dataset snapshot read."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry.models import ActivationEvent, ModelVersion
from training.models import RunStatus, TrainingRun

pytestmark = pytest.mark.django_db
INDEX = reverse("registry:index")

#: What a run freezes about a library of 2,000 pictures (the records name each picture and its boxes).
SNAPSHOT = {
    "train": [[i, 1] for i in range(1600)],
    "val": [[i, 1] for i in range(1600, 2000)],
    "records": [{"path": f"/data/media/images/{i:064d}.png", "boxes": [[1, 1, 5, 5, "TOP", "SWEEP", i, 1]]} for i in range(2000)],
}


def _versions(count: int, start: int = 0) -> list[ModelVersion]:
    made = []
    for i in range(start, start + count):
        run = TrainingRun.objects.create(model_type="view", status=RunStatus.SUCCEEDED, dataset_snapshot=SNAPSHOT)
        made.append(
            ModelVersion.objects.create(
                model_type="view", name=f"view_{i}", file_path=f"view/{i}.pt", sha256="0" * 64, training_run=run, metrics={"accuracy": 0.9}
            )
        )
    return made


def _activations(versions: list[ModelVersion]) -> None:
    """Each version made live after the one before it: every history line names the previous version."""
    ActivationEvent.objects.bulk_create(
        ActivationEvent(model_type="view", version=version, previous=before, version_name=version.name)
        for before, version in zip(versions, versions[1:], strict=False)
    )


def _index_queries(client) -> list[str]:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        assert client.get(INDEX).status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_the_activation_history_takes_the_same_queries_however_many_lines(client, engineer) -> None:  # type: ignore[no-untyped-def]
    """Each line of the Models page's history looked its previous version up with a query of its own (30 lines, 30 queries)."""
    client.force_login(engineer)
    _activations(_versions(6))
    few = len(_index_queries(client))
    _activations(_versions(16, start=6))
    many = len(_index_queries(client))
    assert ActivationEvent.objects.count() == 20
    assert many == few


def test_the_models_page_reads_no_run_s_dataset_snapshot(client, engineer) -> None:  # type: ignore[no-untyped-def]
    """The Models page loaded every version's training run whole: its frozen record of every picture learned from,
    megabytes per version on a large library, decoded for hundreds of versions to show one line each."""
    _versions(3)
    client.force_login(engineer)
    assert [sql for sql in _index_queries(client) if "dataset_snapshot" in sql] == []
