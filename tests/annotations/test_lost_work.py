"""A full disk during an upload, and a picture deleted while its page is open: a sentence, and nothing else lost."""

from __future__ import annotations

import errno
import json

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from annotations.models import Image
from tests.conftest import png_bytes

pytestmark = pytest.mark.django_db


def test_a_full_disk_during_upload_says_so_per_picture_and_keeps_those_stored(client, annotator, monkeypatch, settings) -> None:  # type: ignore[no-untyped-def]
    original = FileSystemStorage._save
    calls = {"n": 0}

    def full_after_the_first_picture(self, name, content):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] > 4:  # the first picture's three files fit, and the second's original; then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", full_after_the_first_picture)
    client.force_login(annotator)
    files = [SimpleUploadedFile(f"w{i}_TOP.png", png_bytes(seed=i), content_type="image/png") for i in range(3)]
    response = client.post("/api/images/upload", {"files": files})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "error", "error"]
    assert results[1]["message"].startswith("The server could not store it (No space left on device). Free disk space")
    assert list(Image.objects.values_list("original_name", flat=True)) == ["w0_TOP.png"]
    stored = [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]
    assert len(stored) == 3  # the second picture's original, written before the disk filled, was removed again


def test_saving_a_picture_deleted_meanwhile_says_so(client, annotator, make_image) -> None:  # type: ignore[no-untyped-def]
    image = make_image()
    client.force_login(annotator)
    loaded = client.get(f"/api/images/{image.pk}/annotations").json()
    Image.objects.filter(pk=image.pk).delete()  # an admin deletes it meanwhile
    body = {
        "base_revision": loaded["image"]["revision"],
        "boxes": [{"id": None, "x": 1, "y": 1, "width": 10, "height": 10, "view": "TOP", "defect": "PASS"}],
    }
    response = client.put(f"/api/images/{image.pk}/annotations", json.dumps(body), content_type="application/json")
    assert response.status_code == 410 and response["Content-Type"].startswith("application/json")
    assert response.json()["error"].startswith("This picture was deleted after you opened it, so its boxes cannot be saved.")
    gone = client.get(f"/api/images/{image.pk}/annotations")
    assert gone.status_code == 404 and gone.json()["error"] == "There is no such picture; it may have been deleted."
