"""A model version's life under daily use: the admin's bulk delete asks first, as the Models page does."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from registry import versions as registry
from registry.models import ModelVersion, WeightsFile
from tests.conftest import PASSWORD
from training.models import RunStatus, TrainingRun

VERSIONS = reverse("admin:registry_modelversion_changelist")
UPLOADS = reverse("admin:registry_weightsfile_changelist")


@pytest.fixture
def admin_client(client, admin_user):  # type: ignore[no-untyped-def]
    client.login(username=admin_user.username, password=PASSWORD)
    return client


def make(tmp_path, model_type: str = "defect") -> ModelVersion:  # type: ignore[no-untyped-def]
    source = tmp_path / f"{model_type}-{ModelVersion.objects.count()}.pt"
    source.write_bytes(source.name.encode())
    return registry.register_version(model_type, source, metrics={"balanced_accuracy": 0.81, "pass_recall": 0.9})


@pytest.mark.django_db(transaction=True)
def test_the_admin_delete_action_asks_first_and_says_which_versions_it_keeps(admin_client, tmp_path):
    live, old, started_from = make(tmp_path), make(tmp_path), make(tmp_path)
    registry.activate(live, None, "live")
    TrainingRun.objects.create(model_type="defect", status=RunStatus.PAUSED, config={"weights": started_from.reference})
    chosen = {"action": "delete_selected_versions", ACTION_CHECKBOX_NAME: [live.pk, old.pk, started_from.pk]}

    asked = admin_client.post(VERSIONS, chosen)

    assert asked.status_code == 200
    assert ModelVersion.objects.count() == 3 and all(registry.file_of(v).exists() for v in (live, old, started_from))
    page = asked.content.decode()
    assert old.name in page and old.file_path in page
    assert f"{live.name} is the active defect model" in page
    assert f"{started_from.name} is the starting weights of run #" in page
    assert 'name="post" value="yes"' in page and 'value="delete_selected_versions"' in page

    done = admin_client.post(VERSIONS, {**chosen, "post": "yes"}, follow=True).content.decode()
    assert f"Deleted {old.name} and its file." in done
    assert set(ModelVersion.objects.values_list("pk", flat=True)) == {live.pk, started_from.pk}
    assert not registry.file_of(old).exists() and registry.file_of(live).exists()


@pytest.mark.django_db(transaction=True)
def test_the_admin_delete_action_for_uploads_asks_first(admin_client):
    path = registry.models_dir() / "uploads" / "start.pt"
    path.parent.mkdir()
    path.write_bytes(b"weights")
    upload = WeightsFile.objects.create(kind="classifier", original_name="start.pt", file_path="uploads/start.pt", sha256="0" * 64)
    chosen = {"action": "delete_selected_uploads", ACTION_CHECKBOX_NAME: [upload.pk]}

    asked = admin_client.post(UPLOADS, chosen)

    assert asked.status_code == 200 and "start.pt" in asked.content.decode()
    assert WeightsFile.objects.filter(pk=upload.pk).exists() and path.exists()
    admin_client.post(UPLOADS, {**chosen, "post": "yes"})
    assert not WeightsFile.objects.exists() and not path.exists()
