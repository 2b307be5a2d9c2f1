"""A model version's life under daily use: the admin's bulk delete asks first, as the Models page does; the Models page
lists hundreds of versions a page at a time."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry import versions as registry
from registry.models import ModelVersion, WeightsFile
from registry.views import VERSIONS_PER_PAGE
from tests.conftest import PASSWORD
from training.models import RunStatus, TrainingRun

VERSIONS = reverse("admin:registry_modelversion_changelist")
UPLOADS = reverse("admin:registry_weightsfile_changelist")
INDEX = reverse("registry:index")


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


def many_versions(count: int, model_type: str = "defect") -> list[ModelVersion]:
    """``count`` versions of months of training, registered without files (the list page never reads them)."""
    start = ModelVersion.objects.count()
    return ModelVersion.objects.bulk_create(
        ModelVersion(model_type=model_type, name=f"{model_type}_{start + i:04d}", file_path=f"{model_type}/{start + i}.pt", sha256="0")
        for i in range(count)
    )


def test_the_models_page_lists_a_page_of_versions_per_type_and_says_which_page(client, engineer):
    client.login(username=engineer.username, password=PASSWORD)
    versions = many_versions(VERSIONS_PER_PAGE + 5)
    oldest = versions[0]
    ModelVersion.objects.filter(pk=oldest.pk).update(is_active=True)

    first = client.get(INDEX, {"v": [oldest.pk]}).content.decode()

    # The page's fifty, and the ticked one of page 2, named below the lists and still ticked.
    assert first.count('name="v" value=') == VERSIONS_PER_PAGE + 1
    assert "Page 1 of 2 (55 defect versions)" in first
    assert 'name="go" value="defect:2"' in first  # Older: the compare form sent to the list, so the ticks go along
    turned = client.get(INDEX, {"v": [oldest.pk], "defect_page": 1, "go": "defect:2"})
    assert turned.url == f"{INDEX}?v={oldest.pk}&defect_page=2#type-defect"  # the other choices stay as they were
    assert f'Active: <a href="{reverse("registry:detail", args=[oldest.pk])}">{oldest.name}</a>' in first  # though listed on page 2
    second = client.get(INDEX, {"defect_page": 2}).content.decode()
    assert second.count('name="v" value=') == 5 and "Page 2 of 2" in second and oldest.name in second
    assert "Page 2 of 2" in client.get(INDEX, {"defect_page": 99}).content.decode()
    assert "Page 1 of 2" in client.get(INDEX, {"defect_page": "x"}).content.decode()


def test_the_models_page_takes_the_same_queries_for_a_few_versions_as_for_hundreds(client, engineer):
    client.login(username=engineer.username, password=PASSWORD)
    for model_type in ("detection", "view", "defect"):
        many_versions(3, model_type)
    with CaptureQueriesContext(connection) as few:
        client.get(INDEX)
    for model_type in ("detection", "view", "defect"):
        many_versions(200, model_type)
    with CaptureQueriesContext(connection) as hundreds:
        page = client.get(INDEX).content.decode()
    assert len(hundreds) == len(few)
    assert page.count('name="v" value=') == 3 * VERSIONS_PER_PAGE
