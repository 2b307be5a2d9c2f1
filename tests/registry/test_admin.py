"""The Django admin lists versions with metrics and runs activate/delete through the guarded code."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from registry import versions as registry
from registry.models import ModelVersion
from tests.registry.conftest import make
from training.models import RunStatus, TrainingRun

CHANGELIST = reverse("admin:registry_modelversion_changelist")


def run_action(client, action: str, versions: list[ModelVersion]):  # type: ignore[no-untyped-def]
    data = {"action": action, ACTION_CHECKBOX_NAME: [version.pk for version in versions], "post": "yes"}
    return client.post(CHANGELIST, data, follow=True)


def test_the_list_shows_metrics_and_filters_by_type_and_state(admin_client_logged_in, tmp_path):
    defect = make(tmp_path)
    make(tmp_path, "detection", {"mAP50": 0.734})
    registry.activate(defect, None, "live")
    page = admin_client_logged_in.get(CHANGELIST).content.decode()
    assert "0.810" in page and "0.900" in page and "0.734" in page
    filtered = admin_client_logged_in.get(CHANGELIST, {"model_type__exact": "detection"}).content.decode()
    assert "0.734" in filtered and defect.name not in filtered
    active_only = admin_client_logged_in.get(CHANGELIST, {"is_active__exact": "1"}).content.decode()
    assert defect.name in active_only and "0.734" not in active_only


def test_the_activate_action_goes_through_the_gate(admin_client_logged_in, admin_user, tmp_path):
    good = make(tmp_path)
    weak = make(tmp_path, metrics={"pass_recall": 0.3})
    response = run_action(admin_client_logged_in, "activate_selected", [weak])
    assert "below the quality gate" in response.content.decode()
    weak.refresh_from_db()
    assert not weak.is_active
    response = run_action(admin_client_logged_in, "activate_selected", [good])
    assert f"Activated {good.name}." in response.content.decode()
    assert registry.active_version("defect") == good
    assert good.activations.get().user == admin_user


def test_activating_two_versions_of_one_type_at_once_is_refused(admin_client_logged_in, tmp_path):
    response = run_action(admin_client_logged_in, "activate_selected", [make(tmp_path), make(tmp_path)])
    assert "at most one version per model type" in response.content.decode()
    assert not ModelVersion.objects.active().exists()


@pytest.mark.django_db(transaction=True)
def test_the_delete_action_refuses_the_active_one_and_removes_the_others_with_their_files(admin_client_logged_in, tmp_path):
    live, old = make(tmp_path), make(tmp_path)
    registry.activate(live, None, "live")
    response = run_action(admin_client_logged_in, "delete_selected_versions", [live, old])
    page = response.content.decode()
    assert "is the active defect model" in page and f"Deleted {old.name} and its file." in page
    assert list(ModelVersion.objects.all()) == [live]
    assert not registry.file_of(old).exists() and registry.file_of(live).exists()


def test_django_bulk_delete_is_not_offered_and_the_active_rows_delete_page_says_why_not(admin_client_logged_in, tmp_path):
    live = make(tmp_path)
    registry.activate(live, None, "live")
    page = admin_client_logged_in.get(CHANGELIST).content.decode()
    assert 'value="delete_selected"' not in page and 'value="delete_selected_versions"' in page
    response = admin_client_logged_in.get(reverse("admin:registry_modelversion_delete", args=[live.pk]), follow=True)
    assert "is the active defect model" in response.content.decode() and ModelVersion.objects.filter(pk=live.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_the_delete_page_of_an_inactive_version_removes_its_file(admin_client_logged_in, tmp_path):
    old = make(tmp_path)
    admin_client_logged_in.post(reverse("admin:registry_modelversion_delete", args=[old.pk]), {"post": "yes"})
    assert not ModelVersion.objects.exists() and not registry.file_of(old).exists()


def test_training_runs_are_readable(admin_client_logged_in):
    run = TrainingRun.objects.create(model_type="view", status=RunStatus.SUCCEEDED)
    assert admin_client_logged_in.get(reverse("admin:training_trainingrun_change", args=[run.pk])).status_code == 200


def test_activating_the_active_version_again_records_no_second_event(admin_client_logged_in, tmp_path):
    live = make(tmp_path)
    run_action(admin_client_logged_in, "activate_selected", [live])
    response = run_action(admin_client_logged_in, "activate_selected", [live])
    assert "is already the active defect model; nothing changed." in response.content.decode()
    assert live.activations.count() == 1
    with pytest.raises(registry.AlreadyActive):
        registry.activate(live, None, "again")
    other = make(tmp_path, "detection", {"mAP50": 0.9})
    events = registry.activate_bundle([live, other], None, "bundle keeps the live defect model")
    assert [event.version for event in events] == [other]
    assert live.activations.count() == 1 and registry.active_version("defect") == live


def test_a_version_page_in_the_admin_offers_no_save_button(admin_client_logged_in, tmp_path):
    version = make(tmp_path)
    page = admin_client_logged_in.get(reverse("admin:registry_modelversion_change", args=[version.pk])).content.decode()
    assert version.name in page
    assert 'name="_save"' not in page and 'name="_continue"' not in page and 'name="_addanother"' not in page
    assert "deletelink" in page  # an inactive version can still be deleted from here
