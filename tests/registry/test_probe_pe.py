"""A version whose training run was deleted (Django admin) says so, not that no training run registered it."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from registry import versions as registry
from registry.models import ModelVersion
from tests.conftest import PASSWORD
from tests.registry.test_pages import DEFECT_METRICS, make
from training.models import TrainingRun

NOT_BY_A_RUN = "not registered by a training run"


@pytest.fixture
def engineer_client(client, engineer):  # type: ignore[no-untyped-def]
    client.login(username=engineer.username, password=PASSWORD)
    return client


def _run_deleted(tmp_path) -> tuple[ModelVersion, int]:  # type: ignore[no-untyped-def]
    version = make(tmp_path, snapshot={"train": [[1, 1]], "val": [[2, 1]], "seed": 3})
    run_id = version.training_run_id
    TrainingRun.objects.get(pk=run_id).delete_with_folder()  # what the Django admin's delete does
    version.refresh_from_db()
    assert version.training_run_id is None
    return version, run_id


def test_the_lineage_download_of_a_version_whose_run_was_deleted_says_so(engineer_client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    version, run_id = _run_deleted(tmp_path)
    answer = engineer_client.get(reverse("registry:lineage", args=[version.pk]))
    assert answer.status_code == 404
    text = html.unescape(answer.content.decode())
    assert NOT_BY_A_RUN not in text
    assert f"Its training run #{run_id} was deleted, so its dataset snapshot went with it" in text


def test_the_page_of_a_version_whose_run_was_deleted_says_so(engineer_client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    version, run_id = _run_deleted(tmp_path)
    page = html.unescape(engineer_client.get(reverse("registry:detail", args=[version.pk])).content.decode())
    assert NOT_BY_A_RUN not in page
    assert f"Its training run #{run_id} was deleted, so its dataset snapshot went with it" in page
    assert f"by run #{run_id} (deleted)" in page


def test_a_version_registered_without_a_run_still_says_so(engineer_client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "by-hand.pt"
    source.write_bytes(b"weights")
    version = registry.register_version("defect", source, metrics=DEFECT_METRICS)
    answer = engineer_client.get(reverse("registry:lineage", args=[version.pk]))
    assert "This version was not registered by a training run, so it has no dataset snapshot." in answer.content.decode()
    page = engineer_client.get(reverse("registry:detail", args=[version.pk])).content.decode()
    assert NOT_BY_A_RUN in page and "(deleted)" not in page


def test_the_migration_remembers_the_run_of_each_version_registered_before(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from importlib import import_module

    from django.apps import apps

    version = make(tmp_path)
    ModelVersion.objects.filter(pk=version.pk).update(run_number=None)  # as before the field existed
    import_module("registry.migrations.0004_modelversion_run_number").remember_runs(apps, None)
    version.refresh_from_db()
    assert version.run_number == version.training_run_id
