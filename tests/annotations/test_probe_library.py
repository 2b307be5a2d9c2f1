"""Hostile input to the annotation page's API, the library and the statistics page."""

from __future__ import annotations

import pytest

from annotations.models import Annotation
from tests.conftest import PASSWORD


@pytest.fixture
def client_in(client, annotator):  # type: ignore[no-untyped-def]
    client.login(username=annotator.username, password=PASSWORD)
    return client


BOX = {"x": 0, "y": 0, "view": "TOP", "defect": "PASS"}


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


def test_one_very_wide_box_does_not_blow_up_the_statistics_page(client_in, annotator) -> None:
    """A 5-megapixel picture one pixel high is a 5 KB upload; one box across it made 100,000 rows of 50 px bins."""
    import io

    from PIL import Image as PILImage

    from annotations.actions import parse_boxes, save_boxes
    from annotations.ingest import ingest_image
    from annotations.stats import dataset_stats

    buffer = io.BytesIO()
    PILImage.new("L", (5_000_000, 1)).save(buffer, format="PNG")
    wide = ingest_image(buffer.getvalue(), "wide_TOP.png").image
    boxes = [{"x": 0, "y": 0, "width": 4_999_999, "height": 1, "view": "TOP", "defect": "PASS"}, {**BOX, "width": 3, "height": 1}]
    save_boxes(wide, parse_boxes(boxes, wide), base_revision=0, user=annotator)
    stats = dataset_stats()
    assert len(stats.size_histogram) <= 100  # bins widen past 50 px rather than grow in number
    assert sum(widths for _, widths, _ in stats.size_histogram) == 2 and sum(heights for *_, heights in stats.size_histogram) == 2
    response = client_in.get("/statistics/")
    assert response.status_code == 200 and len(response.content) < 200_000


def test_a_filter_the_library_cannot_apply_is_said_and_the_others_still_narrow(client_in, make_image, django_user_model) -> None:
    """A bookmarked filter on an uploader who was deleted since made the form invalid: every filter was dropped in silence."""
    top, side = make_image("w1_TOP.png"), make_image("w1_SIDE.png")
    gone = django_user_model.objects.create_user("gone")
    gone_id = gone.pk
    gone.delete()
    response = client_in.get(f"/library/?view=SIDE&uploader={gone_id}")
    shown = [image.pk for image, *_ in response.context["cards"]]
    assert shown == [side.pk] and top.pk not in shown
    html = response.content.decode()
    assert "Uploader: Select a valid choice" in html and "left out" in html


def test_the_other_view_of_a_wire_shot_twice_is_its_other_view(client_in, make_image) -> None:
    """A wire whose TOP was uploaded again (a new shot, same name): "Other view (P)" led from the new TOP to the old TOP."""
    make_image("w1_TOP.png")
    side = make_image("w1_SIDE.png")
    again = make_image("w1_TOP.png")  # other bytes, same name: the same wire
    partner = client_in.get(f"/api/images/{again.pk}/annotations").json()["image"]["partner_id"]
    assert partner == side.pk


def test_two_boxes_with_the_same_id_are_refused_rather_than_one_lost(client_in, make_image) -> None:
    """A script that copies a saved box (id and all) to add a second one: the save kept one box and said 200."""
    import json

    image = make_image()
    first = put_text(client_in, image, json.dumps({"base_revision": 0, "boxes": [{**BOX, "width": 5, "height": 5}]})).json()
    saved = first["boxes"][0]
    copy = {**saved, "x": 20}
    response = put_text(client_in, image, json.dumps({"base_revision": 1, "boxes": [saved, copy]}))
    assert response.status_code == 400
    assert "same id" in response.json()["errors"]["1"]["id"]
    assert Annotation.objects.filter(image=image).count() == 1
