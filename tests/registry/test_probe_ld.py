"""The version page of a model trained on a large library: it shows a summary of the run's dataset snapshot only."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.registry.test_pages import make
from tests.wiresag_web.test_postgresql import migrate_and_run_on_postgresql, postgres_url  # noqa: F401
from training.models import TrainingRun

#: What a run freezes about a library of 20,000 pictures: the pairs per split, and the records naming every picture.
SNAPSHOT = {
    "train": [[pk, 1 + pk % 3] for pk in range(1, 16_001)],
    "val": [[pk, 1] for pk in range(16_001, 20_001)],
    "seed": 7,
    "records": {
        "train": [{"path": f"/data/media/images/{i:064d}.png", "boxes": [[1, 1, 5, 5, "TOP", "SWEEP", i, 1]]} for i in range(16_000)],
        "val": [],
    },
}


def test_the_version_page_does_not_decode_its_run_s_dataset_snapshot(client, engineer, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Opening one version's page decoded its run's whole snapshot (megabytes of JSON for 20,000 pictures) to say two
    counts, the seed and the first pairs."""
    version = make(tmp_path, snapshot=SNAPSHOT)
    field = TrainingRun._meta.get_field("dataset_snapshot")
    decoded: list[int] = []
    original = field.from_db_value

    def spy(value: Any, expression: Any, connection: Any) -> Any:
        decoded.append(len(value) if isinstance(value, str | bytes) else 0)
        return original(value, expression, connection)

    monkeypatch.setattr(field, "from_db_value", spy)
    client.login(username=engineer.username, password=PASSWORD)
    response = client.get(reverse("registry:detail", args=[version.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "16000 annotation revisions for training, 4000 for validation, seed 7" in page
    assert "train: [[1, 2], [2, 3]," in page and "val: [[16001, 1]," in page and "[16021, 1]" not in page
    assert max(decoded, default=0) < 1_000, f"the page decoded {max(decoded)} characters of the snapshot"


SUMMARY_ON_POSTGRESQL = """
from django.db import connection
from training.models import TrainingRun
assert connection.vendor == "postgresql", connection.vendor
run = TrainingRun.objects.create(model_type="view", dataset_snapshot={"train": [[1, 2], [2, 3], [3, 1]], "val": [[9, 1]], "seed": 7})
empty = TrainingRun.objects.create(model_type="view")
print(TrainingRun.objects.snapshot_summary(run.pk, 2))
print(TrainingRun.objects.snapshot_summary(empty.pk, 2))
"""


@pytest.mark.slow
def test_the_snapshot_summary_is_read_the_same_on_postgresql(postgres_url, tmp_path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    stdout = migrate_and_run_on_postgresql(postgres_url, tmp_path, SUMMARY_ON_POSTGRESQL)
    assert stdout.splitlines()[-2:] == [
        "{'seed': 7, 'train': 3, 'val': 1, 'first': {'train': [[1, 2], [2, 3]], 'val': [[9, 1]]}}",
        "{}",
    ]
