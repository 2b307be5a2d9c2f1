"""Known leftovers: odd ids posted to the Django admin's actions get a sentence, not a 500."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from training.models import RunStatus, TrainingRun

ODD_IDS = ["abc", "1.5", "", "\x00", "99999999999999999999"]


@pytest.mark.django_db
@pytest.mark.parametrize("odd", ODD_IDS)
def test_every_admin_action_with_an_odd_selected_id_says_so_instead_of_failing(admin_user, odd) -> None:  # type: ignore[no-untyped-def]
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    run = TrainingRun.objects.create(model_type="defect", config={"epochs": 3}, status=RunStatus.SUCCEEDED)
    checked = 0
    for model, model_admin in admin.site._registry.items():
        request = type("Request", (), {"user": admin_user, "GET": {}, "POST": {}, "method": "GET"})()
        for action in model_admin.get_actions(request):
            changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            for confirmed in ({}, {"post": "yes"}):
                response = client.post(changelist, {"action": action, ACTION_CHECKBOX_NAME: [odd, run.pk], **confirmed}, follow=True)
                where = f"{model._meta.label} {action} {odd!r}"
                assert response.status_code == 200, where
                if odd in ("", "\x00") or model._meta.pk.get_internal_type().endswith("AutoField"):  # "abc" may name a django-q task
                    assert "is not the id of any row" in response.content.decode(), where
                checked += 1
    assert checked >= 10  # our own admins, Django's users and groups, django-q's and axes' tables
    assert TrainingRun.objects.filter(pk=run.pk).exists()  # nothing was done with the good id either


@pytest.mark.django_db
def test_an_unknown_but_valid_id_still_gets_djangos_own_answer(admin_user) -> None:  # type: ignore[no-untyped-def]
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    changelist = reverse("admin:training_trainingrun_changelist")
    response = client.post(changelist, {"action": "delete_selected", ACTION_CHECKBOX_NAME: ["12345"], "post": "yes"}, follow=True)
    assert response.status_code == 200 and "is not the id of any row" not in response.content.decode()
