"""Follow-ups on the Models page and the registry admin: delete messages, admin refusals, bundle-like admin activation,
a paged Starting weights page, a comparison read in bounded memory."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from registry import versions as registry
from registry.models import ModelVersion
from tests.conftest import PASSWORD
from tests.registry.conftest import make

CHANGELIST = reverse("admin:registry_modelversion_changelist")


@pytest.fixture
def engineer_client(client, engineer):  # type: ignore[no-untyped-def]
    client.login(username=engineer.username, password=PASSWORD)
    return client


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


# --- The admin's refusals say why -------------------------------------------------------------------------------------


def test_the_admin_delete_page_of_the_active_version_returns_to_it_with_the_sentence(admin_client_logged_in, tmp_path):
    live = make(tmp_path)
    registry.activate(live, None, "live")
    for answer in ({}, {"post": "yes"}):
        url = reverse("admin:registry_modelversion_delete", args=[live.pk])
        response = admin_client_logged_in.post(url, answer) if answer else admin_client_logged_in.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("admin:registry_modelversion_change", args=[live.pk])
        page = admin_client_logged_in.get(response["Location"]).content.decode()
        assert "is the active defect model; activate another version (or roll back) first, then delete it." in page
    assert ModelVersion.objects.filter(pk=live.pk).exists() and registry.file_of(live).exists()


def test_the_admin_delete_page_of_a_version_a_paused_run_starts_from_says_so(admin_client_logged_in, tmp_path):
    from training.models import RunStatus, TrainingRun

    version = make(tmp_path)
    paused = TrainingRun.objects.create(model_type="defect", status=RunStatus.PAUSED, config={"weights": f"version:{version.pk}"})
    url = reverse("admin:registry_modelversion_delete", args=[version.pk])
    page = admin_client_logged_in.post(url, {"post": "yes"}, follow=True).content.decode()
    assert f"is the starting weights of run #{paused.pk}" in page and ModelVersion.objects.filter(pk=version.pk).exists()


def test_a_refusal_between_the_admin_delete_page_and_its_answer_is_a_sentence_not_a_500(admin_client_logged_in, tmp_path, monkeypatch):
    version = make(tmp_path)
    registry.activate(version, None, "made live in another tab after the delete page was shown")
    monkeypatch.setattr(registry, "deletion_problem", lambda version: "")  # the page's check, read before that activation
    url = reverse("admin:registry_modelversion_delete", args=[version.pk])
    page = admin_client_logged_in.post(url, {"post": "yes"}, follow=True).content.decode()
    assert "is the active defect model" in page and ModelVersion.objects.filter(pk=version.pk).exists()


# --- The admin's activation: all of them or none ----------------------------------------------------------------------


def activate_in_admin(client, versions: list[ModelVersion]) -> str:  # type: ignore[no-untyped-def]
    data = {"action": "activate_selected", ACTION_CHECKBOX_NAME: [version.pk for version in versions]}
    return client.post(CHANGELIST, data, follow=True).content.decode().lower()  # the admin writes a message capitalised


def test_the_admin_activates_none_of_the_selected_versions_when_the_gate_holds_one_back(admin_client_logged_in, tmp_path):
    detection, view = make(tmp_path, "detection", {"mAP50": 0.7}), make(tmp_path, "view", {"accuracy": 0.9})
    weak = make(tmp_path, metrics={"pass_recall": 0.3})
    page = activate_in_admin(admin_client_logged_in, [detection, view, weak])
    assert f"{weak.name} reaches pass recall 0.30, below the quality gate" in page
    assert "none of the selected versions was activated." in page and "activated " not in page.replace("was activated", "")
    assert not ModelVersion.objects.active().exists()


def test_the_admin_names_every_version_the_gate_holds_back(admin_client_logged_in, settings, tmp_path):
    weak_both = make(tmp_path, metrics={"pass_recall": 0.3})
    weak_top = ModelVersion.objects.get(pk=make(tmp_path, metrics={"pass_recall": 0.4}).pk)
    ModelVersion.objects.filter(pk=weak_top.pk).update(view_scope="TOP")
    page = activate_in_admin(admin_client_logged_in, [weak_both, weak_top])
    assert f"{weak_both.name} reaches pass recall 0.30" in page and f"{weak_top.name} reaches pass recall 0.40" in page
    assert not ModelVersion.objects.active().exists()


def test_the_admin_activates_versions_of_different_types_together(admin_client_logged_in, tmp_path):
    detection, defect = make(tmp_path, "detection", {"mAP50": 0.7}), make(tmp_path)
    registry.activate(detection, None, "already live")
    page = activate_in_admin(admin_client_logged_in, [detection, defect])
    assert f"activated {defect.name}." in page and f"{detection.name} is already the active detection model; nothing changed." in page
    assert set(ModelVersion.objects.active()) == {detection, defect}


# --- Compare reads one version's lineage at a time --------------------------------------------------------------------


def _with_lineage(tmp_path, pairs: int, shift: int) -> ModelVersion:  # type: ignore[no-untyped-def]
    from training.models import RunStatus, TrainingRun

    source = tmp_path / f"defect-{ModelVersion.objects.count()}.pt"
    source.write_bytes(source.name.encode())
    snapshot = {"seed": 1, "train": [[shift + i, 1] for i in range(pairs)], "val": [[10**7 + i, 1] for i in range(100)]}
    run = TrainingRun.objects.create(model_type="defect", status=RunStatus.SUCCEEDED, dataset_snapshot=snapshot)
    return registry.register_version("defect", source, metrics={"pass_recall": 0.9}, training_run=run)


def _peak_bytes(versions: list[ModelVersion]) -> int:
    import tracemalloc

    from registry.compare import compare

    tracemalloc.start()
    try:
        comparison = compare(versions)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        assert comparison.datasets[-1].added["train"] == 100 * (len(versions) - 1)  # counted against the baseline


@pytest.mark.django_db
def test_comparing_ten_versions_holds_no_more_lineage_in_memory_than_comparing_two(tmp_path):
    versions = [_with_lineage(tmp_path, 5_000, shift=100 * index) for index in range(10)]
    versions = list(ModelVersion.objects.filter(pk__in=[v.pk for v in versions]).order_by("pk"))
    two, ten = _peak_bytes(versions[:2]), _peak_bytes(versions)
    assert ten < 1.5 * two, f"ten versions peaked at {ten} bytes, two at {two}: the lineages are held all at once"


# --- The Starting weights page pages its versions ----------------------------------------------------------------------


def test_the_starting_weights_page_lists_versions_a_page_at_a_time_and_reaches_every_one(engineer_client):
    from registry.views import VERSIONS_PER_PAGE

    ModelVersion.objects.bulk_create(
        ModelVersion(model_type="view", name=f"view_{i:04d}", file_path=f"view/view_{i:04d}.pt", sha256="0" * 64)
        for i in range(VERSIONS_PER_PAGE + 3)
    )
    url = reverse("registry:weights")
    first = engineer_client.get(url).content.decode()
    assert first.count("<code>version:") == VERSIONS_PER_PAGE
    assert f"Page 1 of 2 ({VERSIONS_PER_PAGE + 3} versions)" in first and "versions_page=2" in first
    second = engineer_client.get(url, {"versions_page": 2}).content.decode()
    assert second.count("<code>version:") == 3
    listed = {name for page in (first, second) for name in ModelVersion.objects.values_list("name", flat=True) if f">{name}<" in page}
    assert len(listed) == VERSIONS_PER_PAGE + 3
