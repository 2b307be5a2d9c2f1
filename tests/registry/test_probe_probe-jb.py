"""The admin's bulk-delete confirmation says what will happen to each file, as the delete itself does."""

from __future__ import annotations

import re

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from registry import versions as registry
from registry.models import ModelVersion
from tests.registry.conftest import make


def _lines(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", line).strip() for line in re.findall(r"<li>(.*?)</li>", page, re.S)]


def test_the_bulk_delete_confirmation_says_for_each_file_whether_it_is_removed_or_stays(admin_client_logged_in, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """It listed every file under "These rows and their files are removed for good", also a file another version
    shares, one outside the models folder and one already gone; only the message after the delete told the truth."""
    own = make(tmp_path)
    kept = make(tmp_path)
    twin = ModelVersion.objects.create(model_type="defect", name="defect_twin", file_path=kept.file_path, sha256=kept.sha256)
    outside = ModelVersion.objects.create(model_type="defect", name="defect_outside", file_path="../bystander.pt", sha256="0" * 64)
    gone = make(tmp_path)
    registry.file_of(gone).unlink()

    chosen = {"action": "delete_selected_versions", ACTION_CHECKBOX_NAME: [own.pk, twin.pk, outside.pk, gone.pk]}
    page = admin_client_logged_in.post(reverse("admin:registry_modelversion_changelist"), chosen).content.decode()
    lines = _lines(page)

    assert f"{own.name} (file {own.file_path}: removed)" in lines
    assert f"defect_twin ({registry.file_kept_reason(twin, ahead=True)})" in lines and "stays, because" in registry.file_kept_reason(
        twin, ahead=True
    )
    assert f"defect_outside ({registry.file_kept_reason(outside, ahead=True)})" in lines and "outside the models folder" in page
    assert f"{gone.name} ({registry.file_kept_reason(gone, ahead=True)})" in lines and "already missing" in page
    assert "their files are removed for good" not in page
