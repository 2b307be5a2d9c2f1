"""Probe of the inspection pages: what an engineer types must show up where they look for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from registry.versions import activate, register_version
from review.inspection import INSPECTION, list_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _jobs_and_models_in_tmp(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    settings.MODELS_DIR = tmp_path / "models"
    settings.MODELS_DIR.mkdir()


def test_the_label_given_to_an_inspection_names_it_in_the_list_and_on_its_page(client, engineer, make_image, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The form asks for a label ("e.g. lot 42, new defect model") to tell two runs of the same pictures apart."""
    for model_type in ("detection", "view", "defect"):
        source = tmp_path / f"{model_type}.pt"
        source.write_bytes(model_type.encode())
        activate(register_version(model_type, source, metrics={"pass_recall": 1.0}), engineer, "live")
    make_image("w1_TOP.png")
    client.force_login(engineer)
    for label in ("old defect model", "new defect model"):
        response = client.post(reverse("review:inspect"), {"conf": "0.25", "rule": "worst", "label": label})
        assert response.status_code == 302
    newest = list_jobs(INSPECTION)[0]
    listing = client.get(reverse("review:inspect")).content.decode()
    assert "old defect model" in listing and "new defect model" in listing
    page = client.get(reverse("review:job", args=[INSPECTION, newest.id])).content.decode()
    assert "new defect model" in page


def test_a_label_too_long_is_refused_with_a_sentence(client, engineer) -> None:  # type: ignore[no-untyped-def]
    client.force_login(engineer)
    response = client.post(reverse("review:inspect"), {"conf": "0.25", "rule": "worst", "label": "x" * 5000})
    assert response.status_code == 400
    assert "The label is 5000 characters long; keep it to 200." in response.content.decode()
