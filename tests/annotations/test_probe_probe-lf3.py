"""Follow-ups of earlier probes: a wire id holding '/', and the library's Files missing filter on a large library."""

from __future__ import annotations

import html

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from annotations.models import Image
from tests.conftest import png_bytes, zipped

INLINE = {"annotations-TOTAL_FORMS": "0", "annotations-INITIAL_FORMS": "0", "annotations-MIN_NUM_FORMS": "0"}


@pytest.fixture
def admin_client(admin_user):  # type: ignore[no-untyped-def]
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    return client


@pytest.mark.django_db
def test_a_wire_id_holding_a_slash_is_refused_in_the_admin_with_a_sentence(admin_client, make_image) -> None:  # type: ignore[no-untyped-def]
    """Group "a" with wire "b" and wire "a/b" without a group had the same wire key: their verdicts were combined and
    they went to the same side of the training split. The admin accepted "a/b" as a wire id."""
    grouped = make_image("b_TOP.png", wire_group="a")
    loose = make_image("c_TOP.png")
    form = {"original_name": loose.original_name, "wire_id": "a/b", "wire_group": "", "view": "TOP", "notes": ""}

    response = admin_client.post(f"/admin/annotations/image/{loose.pk}/change/", {**form, **INLINE})

    loose.refresh_from_db()
    assert response.status_code == 200
    said = html.unescape(response.content.decode())
    assert "The wire id 'a/b' contains '/', which separates the wire group from the wire id" in said
    assert "Put the folder or lot in the wire group" in said
    assert loose.wire_id == "c" and loose.wire_key != grouped.wire_key


@pytest.mark.django_db
def test_every_wire_id_with_a_slash_fails_the_models_check_and_others_pass(make_image) -> None:  # type: ignore[no-untyped-def]
    image = make_image("c_TOP.png")
    for wire_id in ("a/b", "/b", "b/", "x/y/z"):
        image.wire_id = wire_id
        with pytest.raises(ValidationError, match="contains '/'"):
            image.full_clean()
    for wire_id in ("b", "a\\b", "lot 7.001", "沖線-01"):
        image.wire_id = wire_id
        image.full_clean()


@pytest.mark.django_db
def test_uploaded_pictures_in_folders_get_wire_ids_without_the_folder_that_pass_the_check(annotator) -> None:  # type: ignore[no-untyped-def]
    """The id comes from the file name alone (a Windows path's folders too); the folder becomes the wire group."""
    client = Client()
    client.force_login(annotator)
    bundle = zipped({"lot7/PASS/001_TOP.png": png_bytes(seed=1)}).getvalue()
    files = [SimpleUploadedFile("lot.zip", bundle), SimpleUploadedFile("D:\\photo\\Side\\002_SIDE.png", png_bytes(seed=2))]

    response = client.post("/api/images/upload", {"files": files})

    assert response.status_code == 200, response.content
    assert sorted(Image.objects.values_list("wire_group", "wire_id")) == [("", "002"), ("lot7/PASS", "001")]
    for image in Image.objects.all():
        image.full_clean()
