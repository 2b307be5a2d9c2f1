"""The pages that ask before deleting versions or uploads tell what will happen to the files of the selection as a whole."""

from __future__ import annotations

import re

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from registry import versions as registry
from registry.models import ModelVersion, WeightsFile
from tests.registry.conftest import make

CHANGELIST = reverse("admin:registry_modelversion_changelist")


def _lines(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", line).strip() for line in re.findall(r"<li>(.*?)</li>", page, re.S)]


def test_the_bulk_delete_confirmation_says_a_file_two_selected_versions_share_only_with_each_other_is_removed(  # type: ignore[no-untyped-def]
    admin_client_logged_in, tmp_path, django_capture_on_commit_callbacks
) -> None:
    """It said for both that the file stays because the other uses it, though deleting both removed it."""
    first = make(tmp_path)
    twin = ModelVersion.objects.create(model_type="defect", name="defect_twin", file_path=first.file_path, sha256=first.sha256)
    chosen = {"action": "delete_selected_versions", ACTION_CHECKBOX_NAME: [first.pk, twin.pk]}

    lines = _lines(admin_client_logged_in.post(CHANGELIST, chosen).content.decode())

    assert f"{first.name} (file {first.file_path}: removed, because defect_twin uses it too and is deleted with it)" in lines
    assert f"defect_twin (file {first.file_path}: removed, because {first.name} uses it too and is deleted with it)" in lines
    assert not any("stays" in line for line in lines), lines
    with django_capture_on_commit_callbacks(execute=True):
        admin_client_logged_in.post(CHANGELIST, {**chosen, "post": "yes"})
    assert not ModelVersion.objects.exists() and not registry.file_of(first).exists()  # what the page said


def test_the_bulk_delete_confirmation_keeps_a_shared_file_that_an_unselected_or_refused_version_still_uses(  # type: ignore[no-untyped-def]
    admin_client_logged_in, tmp_path
) -> None:
    live = make(tmp_path)
    registry.activate(live, None)
    twin = ModelVersion.objects.create(model_type="defect", name="defect_twin", file_path=live.file_path, sha256=live.sha256)
    other = make(tmp_path)
    triplet = [
        ModelVersion.objects.create(model_type="defect", name=f"defect_copy{n}", file_path=other.file_path, sha256=other.sha256)
        for n in (1, 2)
    ]
    chosen = {"action": "delete_selected_versions", ACTION_CHECKBOX_NAME: [live.pk, twin.pk, triplet[0].pk, triplet[1].pk]}

    lines = _lines(admin_client_logged_in.post(CHANGELIST, chosen).content.decode())

    assert f"defect_twin (its file {live.file_path} stays, because {live.name} uses it too.)" in lines  # the active one stays
    assert f"defect_copy1 (its file {other.file_path} stays, because {other.name} uses it too.)" in lines  # not selected


def test_the_confirmation_pages_say_what_will_happen_to_a_file_not_what_happened(  # type: ignore[no-untyped-def]
    admin_client_logged_in, tmp_path
) -> None:
    """'its file was left alone' and 'was already missing' read as if the deletion had been done already."""
    outside = ModelVersion.objects.create(model_type="defect", name="defect_outside", file_path="../bystander.pt", sha256="0" * 64)
    gone = make(tmp_path)
    registry.file_of(gone).unlink()
    upload = WeightsFile.objects.create(
        kind=WeightsFile.Kind.CLASSIFIER, original_name="a.pth", file_path="uploads/gone.pth", sha256="0" * 64
    )
    far = WeightsFile.objects.create(kind=WeightsFile.Kind.CLASSIFIER, original_name="b.pth", file_path="../b.pth", sha256="1" * 64)

    versions = admin_client_logged_in.post(
        CHANGELIST, {"action": "delete_selected_versions", ACTION_CHECKBOX_NAME: [outside.pk, gone.pk]}
    ).content.decode()
    uploads = admin_client_logged_in.post(
        reverse("admin:registry_weightsfile_changelist"), {"action": "delete_selected_uploads", ACTION_CHECKBOX_NAME: [upload.pk, far.pk]}
    ).content.decode()
    models_page = "".join(
        admin_client_logged_in.get(reverse("registry:delete", args=[version.pk])).content.decode() for version in (outside, gone)
    )

    for page in (versions, uploads, models_page):
        assert "its file will be left alone, because its path" in page
        assert "is already missing from the models folder" in page
        assert "was left alone" not in page and "was already missing" not in page
