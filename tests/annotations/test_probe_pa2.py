"""The Django admin's picture and box pages, walked as the installation's admin."""

from __future__ import annotations

import pytest
from django.test import Client

from annotations.models import Annotation

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
