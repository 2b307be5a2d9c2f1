"""At most one active model version per type, enforced by the database."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from registry.models import ModelVersion


def version(name: str, model_type: str = "defect", **fields: object) -> ModelVersion:
    return ModelVersion.objects.create(name=name, model_type=model_type, file_path=f"{model_type}/{name}.pt", sha256="0" * 64, **fields)


def test_two_active_versions_of_one_type_are_refused(db):
    version("a", is_active=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        version("b", is_active=True)


def test_one_active_version_per_type_and_per_view_scope(db):
    version("d", model_type="defect", is_active=True)
    version("v", model_type="view", is_active=True)
    version("d-top", model_type="defect", view_scope="TOP", is_active=True)
    version("d-old", model_type="defect", is_active=False)
    assert ModelVersion.objects.active().count() == 3
