"""Follow-ups on the Models page and the registry admin: delete messages, admin refusals, bundle-like admin activation,
a paged Starting weights page, a comparison read in bounded memory."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from registry import versions as registry
from registry.models import ModelVersion
from tests.conftest import PASSWORD

CHANGELIST = reverse("admin:registry_modelversion_changelist")


@pytest.fixture
def engineer_client(client, engineer):  # type: ignore[no-untyped-def]
    client.login(username=engineer.username, password=PASSWORD)
    return client


@pytest.fixture
def admin_client_logged_in(client, admin_user):  # type: ignore[no-untyped-def]
    client.login(username=admin_user.username, password=PASSWORD)
    return client


def make(tmp_path, model_type: str = "defect", metrics: dict | None = None) -> ModelVersion:  # type: ignore[no-untyped-def]
    source = tmp_path / f"{model_type}-{ModelVersion.objects.count()}.pt"
    source.write_bytes(source.name.encode())
    return registry.register_version(model_type, source, metrics=metrics or {"balanced_accuracy": 0.81, "pass_recall": 0.9})


def messages_of(response) -> str:  # type: ignore[no-untyped-def]
    return " ".join(str(message) for message in response.context["messages"])


# --- What a deletion did with the file ------------------------------------------------------------------------------


def test_deleting_a_version_whose_file_another_version_shares_says_the_file_stays(engineer_client, tmp_path):
    kept = make(tmp_path)
    twin = ModelVersion.objects.create(model_type="defect", name="defect_twin", file_path=kept.file_path, sha256=kept.sha256)
    asking = engineer_client.get(reverse("registry:delete", args=[twin.pk])).content.decode()
    assert f"its file {kept.file_path} stays, because {kept.name} uses it too." in asking
    response = engineer_client.post(reverse("registry:delete", args=[twin.pk]), follow=True)
    said = messages_of(response)
    assert f"Deleted defect_twin; its file {kept.file_path} stays, because {kept.name} uses it too." in said
    assert "and its file" not in said and registry.file_of(kept).exists()


def test_deleting_a_version_pointing_outside_the_models_folder_says_its_file_was_left_alone(admin_client_logged_in, tmp_path):
    bystander = tmp_path / "bystander.pt"
    bystander.write_bytes(b"not ours")
    outside = ModelVersion.objects.create(model_type="defect", name="defect_outside", file_path="../bystander.pt", sha256="0" * 64)
    data = {"action": "delete_selected_versions", ACTION_CHECKBOX_NAME: [outside.pk], "post": "yes"}
    page = admin_client_logged_in.post(CHANGELIST, data, follow=True).content.decode()
    assert "Deleted defect_outside; its file was left alone, because its path (../bystander.pt) points outside" in page
    assert "and its file" not in page and bystander.exists()


def test_deleting_a_version_whose_file_is_gone_says_it_was_already_missing(engineer_client, tmp_path):
    version = make(tmp_path)
    registry.file_of(version).unlink()
    response = engineer_client.post(reverse("registry:delete", args=[version.pk]), follow=True)
    assert f"Deleted {version.name}; its file {version.file_path} was already missing" in messages_of(response)


def test_deleting_a_version_with_its_own_file_still_says_both_went(engineer_client, tmp_path, django_capture_on_commit_callbacks):
    version = make(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        response = engineer_client.post(reverse("registry:delete", args=[version.pk]), follow=True)
    assert f"Deleted {version.name} and its file." in messages_of(response) and not registry.file_of(version).exists()
