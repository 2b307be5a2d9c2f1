"""The Django admin's picture and box pages, walked as the installation's admin."""

from __future__ import annotations

import pytest
from django.test import Client

from annotations.models import Annotation, Image

BOX = {"x": "1", "y": "1", "width": "5", "height": "5", "view": "TOP", "defect": "PASS", "source": "human", "review_state": "none"}
BOX |= {"revision": "1", "confidences": "{}"}


@pytest.fixture
def admin_client(admin_user):  # type: ignore[no-untyped-def]
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(
    ("change", "said"),
    [({"x": ""}, "This field is required."), ({"width": "wide"}, "Enter a number."), ({"image": "99999"}, "is not one of the")],
)
@pytest.mark.django_db
def test_a_box_added_in_the_admin_with_a_missing_number_or_picture_is_refused_with_a_sentence(  # type: ignore[no-untyped-def]
    admin_client, make_image, change, said
) -> None:
    """An empty x (or a word for the width, or a picture id that is no picture's) answered 500: the box's own check
    compared the missing number with the picture's size, or read a picture that was not there."""
    image = make_image()

    response = admin_client.post("/admin/annotations/annotation/add/", {**BOX, "image": str(image.pk), **change})

    assert response.status_code == 200 and said in response.content.decode()
    assert not Annotation.objects.exists()


@pytest.mark.django_db
def test_a_pictures_measured_size_and_bit_depth_cannot_be_typed_over_in_the_admin(admin_client, make_image) -> None:  # type: ignore[no-untyped-def]
    """Width, height and bit depth are measured from the file at upload, and every box is checked against them: the
    picture's admin page let them be typed over, so a 64 x 48 picture saved as 5 x 5 left its boxes outside it (the
    annotation page then refused every save of that picture) and its 8-bit pixels read as 3-bit."""
    image = make_image(width=64, height=48)
    Annotation.objects.create(image=image, x=10, y=10, width=40, height=30, view="TOP", defect="PASS")
    inline = {"annotations-TOTAL_FORMS": "0", "annotations-INITIAL_FORMS": "0", "annotations-MIN_NUM_FORMS": "0"}
    form = {"original_name": image.original_name, "wire_id": image.wire_id, "wire_group": "", "view": "TOP", "notes": "checked"}

    typed = {"width": "5", "height": "5", "bit_depth": "3"}

    response = admin_client.post(f"/admin/annotations/image/{image.pk}/change/", {**form, **inline, **typed})

    image.refresh_from_db()
    assert response.status_code == 302 and image.notes == "checked"  # the rest is still editable
    assert (image.width, image.height, image.bit_depth) == (64, 48, 8)


@pytest.mark.django_db
def test_a_saved_label_mapping_cannot_be_typed_into_a_shape_the_import_page_cannot_read(  # type: ignore[no-untyped-def]
    admin_client, annotator
) -> None:
    """The saved mappings' admin page was a raw JSON box: a mapping saved there as a list (or a new one added that
    way) made the import page fail with a 500 for whoever loaded it ('list' object has no attribute 'get')."""
    from annotations.models import LabelMapping

    saved = LabelMapping.objects.create(name="cvat", source_format="cvat", mapping={"labels": {"bad": {"defect": "FAIL"}}})
    typed = {"name": "cvat", "source_format": "cvat", "mapping": "[]", "created_by": ""}

    admin_client.post(f"/admin/annotations/labelmapping/{saved.pk}/change/", typed)
    admin_client.post("/admin/annotations/labelmapping/add/", {**typed, "name": "broken"})

    assert list(LabelMapping.objects.values_list("name", "mapping")) == [("cvat", {"labels": {"bad": {"defect": "FAIL"}}})]
    page = admin_client.get(f"/admin/annotations/labelmapping/{saved.pk}/change/").content.decode()
    assert 'name="mapping"' not in page and "FAIL" in page  # readable, not editable


@pytest.mark.django_db
def test_no_picture_is_added_in_the_admin_without_its_file(admin_client) -> None:  # type: ignore[no-untyped-def]
    """The pictures' admin offered "Add image", whose form has no file (the file, checksum and measured size are
    read-only): saving it failed with a 500 (no width), and a picture row without a file would break every page
    that shows it. Pictures come in through the upload and import pages."""
    form = {"original_name": "w1_TOP.png", "wire_id": "w1", "wire_group": "", "view": "TOP", "notes": ""}
    inline = {"annotations-TOTAL_FORMS": "0", "annotations-INITIAL_FORMS": "0", "annotations-MIN_NUM_FORMS": "0"}

    response = admin_client.post("/admin/annotations/image/add/", {**form, **inline})

    assert response.status_code == 403 and not Image.objects.exists()
    assert "/admin/annotations/image/add/" not in admin_client.get("/admin/annotations/image/").content.decode()


@pytest.mark.django_db
def test_a_box_changed_in_the_admin_is_in_its_history_and_not_undone_by_a_page_opened_before(  # type: ignore[no-untyped-def]
    admin_client, admin_user, annotator, make_image
) -> None:
    """A box edited, added or deleted in the admin left no history row and did not move the picture's revision: an
    annotation page opened before saved over it without a word (the admin's new box deleted, the edit undone), and a
    training snapshot's (box, revision) pair no longer named what it trained on."""
    from annotations.actions import StaleRevision, save_boxes
    from annotations.models import AnnotationChange

    image = make_image()
    box = Annotation.objects.create(image=image, x=1, y=1, width=5, height=5, view="TOP", defect="PASS")
    opened_at = image.annotation_revision
    inline = {"annotations-TOTAL_FORMS": "1", "annotations-INITIAL_FORMS": "1", "annotations-MIN_NUM_FORMS": "0"}
    row = {"annotations-0-id": str(box.pk), "annotations-0-image": str(image.pk), **{f"annotations-0-{k}": v for k, v in BOX.items()}}
    picture = {"original_name": image.original_name, "wire_id": image.wire_id, "wire_group": "", "view": "TOP", "notes": ""}

    admin_client.post(f"/admin/annotations/image/{image.pk}/change/", {**picture, **inline, **row, "annotations-0-defect": "SWEEP"})
    edited = {**BOX, "image": str(image.pk), "defect": "SWEEP", "x": "2", "revision": "7"}
    admin_client.post(f"/admin/annotations/annotation/{box.pk}/change/", edited)

    box.refresh_from_db()
    assert (box.defect, box.x, box.revision) == ("SWEEP", 2, 3)
    history = AnnotationChange.objects.filter(annotation_id_ref=box.pk).order_by("pk")
    assert [(change.action, change.user, change.before["defect"]) for change in history] == [
        ("update", admin_user, "PASS"),
        ("update", admin_user, "SWEEP"),
    ]
    with pytest.raises(StaleRevision):
        save_boxes(image, [], base_revision=opened_at, user=annotator)
    assert Annotation.objects.filter(pk=box.pk).exists()

    admin_client.post(f"/admin/annotations/annotation/{box.pk}/delete/", {"post": "yes"})
    assert not Annotation.objects.exists() and history.last().action == "delete"


@pytest.mark.django_db
def test_the_history_of_boxes_is_read_not_written_in_the_admin(admin_client, admin_user, annotator, make_image) -> None:  # type: ignore[no-untyped-def]
    """The box history's admin pages were ordinary forms: an admin could rewrite who changed a box and what it was,
    or add made-up rows, which the versions' correction rates count. The activation history was already read-only."""
    from annotations.models import AnnotationChange

    image = make_image()
    change = AnnotationChange.objects.create(image=image, action="create", user=annotator, after={"defect": "PASS"})
    forged = {"image": str(image.pk), "action": "delete", "user": str(admin_user.pk), "before": "{}", "after": "null", "note": "x"}

    admin_client.post(f"/admin/annotations/annotationchange/{change.pk}/change/", forged)
    admin_client.post("/admin/annotations/annotationchange/add/", forged)

    assert list(AnnotationChange.objects.values_list("action", "user", "note")) == [("create", annotator.pk, "")]
    assert admin_client.get(f"/admin/annotations/annotationchange/{change.pk}/change/").status_code == 200  # still readable
    admin_client.post(f"/admin/annotations/image/{image.pk}/delete/", {"post": "yes"})
    assert not AnnotationChange.objects.exists()  # a picture deleted in the admin still takes its history with it


@pytest.mark.django_db
def test_a_box_cannot_be_moved_to_another_picture_in_the_admin(admin_client, make_image) -> None:  # type: ignore[no-untyped-def]
    """The box admin's picture field moved a box onto another picture (where its pixels frame nothing); only the new
    picture's revision moved, so an annotation page of the old one, opened before, saved it back without a word."""
    image, other = make_image("w1_TOP.png"), make_image("w2_TOP.png")
    box = Annotation.objects.create(image=image, x=1, y=1, width=5, height=5, view="TOP", defect="PASS")
    admin_client.post(f"/admin/annotations/annotation/{box.pk}/change/", {**BOX, "image": str(other.pk), "defect": "SWEEP"})
    box.refresh_from_db()
    assert box.image_id == image.pk and box.defect == "SWEEP"
