"""Hostile input to the annotation page's API, the library and the statistics page."""

from __future__ import annotations

import pytest

from annotations.models import Annotation
from tests.conftest import PASSWORD


@pytest.fixture
def client_in(client, annotator):  # type: ignore[no-untyped-def]
    client.login(username=annotator.username, password=PASSWORD)
    return client


def put_text(client, image, text: str):  # type: ignore[no-untyped-def]
    return client.put(f"/api/images/{image.pk}/annotations", text, content_type="application/json")


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("1" * 400, '"x": "The number is far too large'),  # a JSON integer no float holds
        ("1" * 5000, "not JSON"),  # more digits than Python converts to an integer
    ],
)
def test_a_box_number_too_big_for_any_picture_gets_a_sentence(client_in, make_image, number: str, fragment: str) -> None:
    image = make_image()
    box = f'{{"id": null, "x": {number}, "y": 5, "width": 20, "height": 10, "view": "TOP", "defect": "PASS"}}'
    text = f'{{"base_revision": 0, "boxes": [{box}]}}'
    response = put_text(client_in, image, text)
    assert response.status_code == 400
    assert fragment in response.content.decode()
    assert not Annotation.objects.exists()
