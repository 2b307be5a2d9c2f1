"""The admin's page for deleting one version or upload says, before anything goes, what will happen to its file.

Django's own page listed the row and its related rows only: a version sharing its file with another, or pointing
outside the models folder, looked the same as one whose file would be removed. After the deletion the admin says
what happened to the file too, not only that the row went.
"""

from __future__ import annotations

import re

from django.urls import reverse

from registry import versions as registry
from registry.models import ModelVersion, WeightsFile
from tests.registry.conftest import make


def _fate(page: str) -> str:
    found = re.search(r'<p class="file-fate">(.*?)</p>', page, re.S)
    assert found, "the delete page says nothing about the file"
    return re.sub(r"\s+", " ", found.group(1)).strip()


def _delete_url(row: ModelVersion | WeightsFile) -> str:
    return reverse(f"admin:registry_{row._meta.model_name}_delete", args=[row.pk])


def test_the_delete_page_of_one_version_says_its_file_will_be_removed_and_the_admin_says_it_was(  # type: ignore[no-untyped-def]
    admin_client_logged_in, tmp_path, django_capture_on_commit_callbacks
) -> None:
    version = make(tmp_path)
    path = registry.file_of(version)

    assert _fate(admin_client_logged_in.get(_delete_url(version)).content.decode()) == f"With the row: file {version.file_path}: removed"
    assert path.exists(), "showing the page removed the file"

    with django_capture_on_commit_callbacks(execute=True):
        answer = admin_client_logged_in.post(_delete_url(version), {"post": "yes"}, follow=True)
    assert f"Deleted {version.name} and its file." in answer.content.decode()
    assert not path.exists() and not ModelVersion.objects.filter(pk=version.pk).exists()


def test_the_delete_page_of_one_version_says_a_shared_file_stays_and_it_does(  # type: ignore[no-untyped-def]
    admin_client_logged_in, tmp_path, django_capture_on_commit_callbacks
) -> None:
    first = make(tmp_path)
    twin = ModelVersion.objects.create(model_type="defect", name="defect_twin", file_path=first.file_path, sha256=first.sha256)

    page = admin_client_logged_in.get(_delete_url(twin)).content.decode()
    assert _fate(page) == f"With the row: its file {first.file_path} stays, because {first.name} uses it too."

    with django_capture_on_commit_callbacks(execute=True):
        answer = admin_client_logged_in.post(_delete_url(twin), {"post": "yes"}, follow=True)
    assert f"its file {first.file_path} stays, because {first.name} uses it too." in answer.content.decode()
    assert registry.file_of(first).exists()


def test_the_delete_page_of_one_version_pointing_outside_says_that_file_is_left_alone(admin_client_logged_in) -> None:  # type: ignore[no-untyped-def]
    outside = ModelVersion.objects.create(model_type="defect", name="defect_outside", file_path="../bystander.pt", sha256="0" * 64)

    assert "its file will be left alone, because its path (../bystander.pt) points outside the models folder" in _fate(
        admin_client_logged_in.get(_delete_url(outside)).content.decode()
    )


def test_the_delete_page_of_one_upload_says_what_happens_to_its_file(admin_client_logged_in, settings) -> None:  # type: ignore[no-untyped-def]
    (settings.MODELS_DIR / "uploads").mkdir(parents=True, exist_ok=True)
    (settings.MODELS_DIR / "uploads" / "a.pth").write_bytes(b"weights")
    upload = WeightsFile.objects.create(kind=WeightsFile.Kind.CLASSIFIER, original_name="a.pth", file_path="uploads/a.pth", sha256="0" * 64)
    gone = WeightsFile.objects.create(kind=WeightsFile.Kind.CLASSIFIER, original_name="b.pth", file_path="uploads/b.pth", sha256="1" * 64)

    assert _fate(admin_client_logged_in.get(_delete_url(upload)).content.decode()) == "With the row: file uploads/a.pth: removed"
    assert _fate(admin_client_logged_in.get(_delete_url(gone)).content.decode()) == (
        "With the row: its file uploads/b.pth is already missing from the models folder."
    )
