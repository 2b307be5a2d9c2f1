"""Pages name the network a model was trained as, not its type's default."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.labels import model_display
from registry.models import ModelVersion
from training.models import TrainingRun

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("model_type", "stored", "shown"),
    [
        ("defect", {}, "Defect classifier (EfficientNet-B0)"),
        ("defect", {"architecture": "resnet18"}, "Defect classifier (ResNet18)"),
        ("view", {"architecture": "efficientnet_b0"}, "View classifier (EfficientNet-B0)"),
        ("detection", {"model": "yolov8s.yaml"}, "Detection (YOLOv8s)"),
        ("detection", None, "Detection (YOLOv8n)"),
        ("detection", {"model": "<b>" * 30}, "Detection (" + ("<b>" * 30)[:40] + ")"),
    ],
)
def test_the_model_is_named_with_the_network_its_settings_build(model_type, stored, shown) -> None:  # type: ignore[no-untyped-def]
    assert model_display(model_type, stored) == shown


def test_a_defect_run_trained_as_a_resnet18_says_so_on_its_page_the_dashboard_and_its_version(engineer_client) -> None:  # type: ignore[no-untyped-def]
    """The heading read "Defect classifier (EfficientNet-B0)" whatever the run's architecture setting."""
    run = TrainingRun.objects.create(model_type="defect", config={"epochs": 2, "architecture": "resnet18"})
    version = ModelVersion.objects.create(
        model_type="defect", name="defect_r18", file_path="defect/defect_r18.pt", sha256="0" * 64, config=run.config, training_run=run
    )
    pages = [
        engineer_client.get(reverse("training:run_detail", args=[run.pk])).content.decode(),
        engineer_client.get(reverse("training:dashboard")).content.decode(),
        engineer_client.get(reverse("registry:detail", args=[version.pk])).content.decode(),
    ]
    for page in pages:
        assert "Defect classifier (ResNet18)" in page
        assert "EfficientNet-B0" not in page
