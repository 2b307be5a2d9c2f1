"""Hostile or careless use of the launch form, cross-validation and the run controls."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import Annotation
from training.models import TrainingRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def engineer_client(client, engineer):  # type: ignore[no-untyped-def]
    client.force_login(engineer)
    return client


@pytest.fixture
def both_views(make_image) -> None:  # type: ignore[no-untyped-def]
    """Three wires, each with a TOP and a SIDE picture: enough for the view model's data check."""
    for number in range(1, 4):
        for view in ("TOP", "SIDE"):
            image = make_image(f"w00{number}_{view}.png")
            Annotation.objects.create(image=image, x=1, y=1, width=10, height=10, view=view, defect="SWEEP")


def test_the_launch_form_refuses_a_per_view_view_model(engineer_client, both_views) -> None:  # type: ignore[no-untyped-def]
    """A view model trained on one view's pictures learns a single class (accuracy 1.00) into a slot inspection never reads."""
    response = engineer_client.post(
        reverse("training:launch"), {"model_type": "view", "preset": "cpu-quick", "device": "cpu", "view_settings": "view_scope: TOP"}
    )
    assert response.status_code == 200
    assert "Setting &#x27;view_scope&#x27; only applies to the defect and detection models" in response.content.decode()
    assert not TrainingRun.objects.exists()
