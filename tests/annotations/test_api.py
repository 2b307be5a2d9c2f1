"""The annotation JSON API: reading, validating, saving with optimistic locking, history."""

from __future__ import annotations

import json

import pytest

from accounts.users import create_user_with_role
from annotations.models import Annotation, AnnotationChange, Image
from tests.conftest import PASSWORD


def url(image) -> str:  # type: ignore[no-untyped-def]
    return f"/api/images/{image.pk}/annotations"


def box(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {"id": None, "x": 10, "y": 5, "width": 20, "height": 10, "view": "TOP", "defect": "SWEEP"}
    values.update(overrides)
    return values


@pytest.fixture
def client_in(client, annotator):  # type: ignore[no-untyped-def]
    client.login(username=annotator.username, password=PASSWORD)
    return client


def put(client, image, boxes, base_revision=0):  # type: ignore[no-untyped-def]
    return client.put(url(image), json.dumps({"base_revision": base_revision, "boxes": boxes}), content_type="application/json")


def test_logged_out_api_gets_401_json(client, make_image):
    image = make_image()
    response = client.get(url(image))
    assert response.status_code == 401
    assert "log in" in response.json()["error"].lower()


def test_get_returns_picture_neighbours_partner_and_boxes(client_in, make_image):
    first = make_image("w1_TOP.png")
    top = make_image("w2_TOP.png")
    side = make_image("w2_SIDE.png")
    Annotation.objects.create(image=top, x=1, y=2, width=3, height=4, view="TOP", defect="PASS")
    data = client_in.get(url(top)).json()
    # A and D follow the library's order, newest first: D (next) opens the older picture, A the newer one.
    assert data["image"]["prev_id"] == side.pk
    assert data["image"]["next_id"] == first.pk
    assert client_in.get(url(side)).json()["image"]["prev_id"] is None
    assert client_in.get(url(first)).json()["image"]["next_id"] is None
    assert data["image"]["partner_id"] == side.pk
    assert data["image"]["display_url"].startswith("/media/display/")
    assert data["image"]["revision"] == 0
    assert [(b["x"], b["defect"]) for b in data["boxes"]] == [(1, "PASS")]


def test_save_creates_updates_deletes_and_records_history(client_in, make_image, annotator):
    image = make_image()
    response = put(client_in, image, [box(), box(x=30, defect="TOUCH")])
    assert response.status_code == 200, response.content
    saved = response.json()
    assert saved["revision"] == 1
    first, second = saved["boxes"]
    response = put(client_in, image, [box(id=first["id"], defect="碰觸")], base_revision=1)
    assert response.status_code == 200
    assert [(b["id"], b["defect"]) for b in response.json()["boxes"]] == [(first["id"], "TOUCH")]
    actions = sorted(AnnotationChange.objects.filter(image=image).values_list("action", flat=True))
    assert actions == ["create", "create", "delete", "update"]
    history = client_in.get(url(image)).json()["history"]
    update = next(change for change in history if change["action"] == "update")
    assert update["user"] == annotator.username
    assert update["before"]["defect"] == "SWEEP" and update["after"]["defect"] == "TOUCH"
    assert not Annotation.objects.filter(pk=second["id"]).exists()


def test_old_revision_gets_409_with_the_server_copy(client_in, make_image, annotator):
    image = make_image()
    put(client_in, image, [box()])
    response = put(client_in, image, [box(x=40)], base_revision=0)
    assert response.status_code == 409
    body = response.json()
    assert "Compare both versions" in body["error"]
    # Who saved the other version, and when.
    assert body["server"]["saved_by"] == annotator.username and body["server"]["saved_at"]
    assert body["error"].startswith(f"{annotator.username} saved this picture at ")
    assert body["server"]["revision"] == 1
    assert [b["x"] for b in body["server"]["boxes"]] == [10]
    assert Annotation.objects.get(image=image).x == 10


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"x": -1}, "x", "outside the picture"),
        ({"y": 48}, "y", "outside the picture"),
        ({"x": 60, "width": 10}, "width", "ends outside"),
        ({"y": 40, "height": 9}, "height", "ends outside"),
        ({"width": 0}, "width", "at least one pixel wide"),
        ({"height": -3}, "height", "at least one pixel high"),
        ({"x": "ten"}, "x", "number is required"),
        ({"width": True}, "width", "number is required"),
        ({"view": "FRONT"}, "view", "TOP or SIDE"),
        ({"defect": "BROKEN"}, "defect", "PASS, SWEEP, WOBBLE, TOUCH"),
        ({"id": "7"}, "id", "whole number"),
    ],
)
def test_each_invalid_box_field_is_reported(client_in, make_image, overrides, field, fragment):
    image = make_image(width=64, height=48)
    response = put(client_in, image, [box(), box(**overrides)])
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == ["1"]
    assert fragment in errors["1"][field]
    assert not Annotation.objects.filter(image=image).exists()
    image.refresh_from_db()
    assert image.annotation_revision == 0


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "JSON object"),
        ('{"boxes": []}', "base_revision"),
        ('{"base_revision": "1", "boxes": []}', "base_revision"),
        ('{"base_revision": 0, "boxes": {}}', "boxes must be a list"),
        ('{"base_revision": 0, "boxes": [5]}', "Some boxes are not valid"),
    ],
)
def test_malformed_bodies_get_a_sentence(client_in, make_image, body, fragment):
    image = make_image()
    response = client_in.put(url(image), body, content_type="application/json")
    assert response.status_code == 400
    assert fragment in response.json()["error"]


def test_user_without_role_cannot_read_or_save(client, make_image, django_user_model):
    django_user_model.objects.create_user("visitor", password=PASSWORD)
    client.login(username="visitor", password=PASSWORD)
    image = make_image()
    assert client.get(url(image)).status_code == 403
    response = put(client, image, [box()])
    assert response.status_code == 403
    assert "Ask an admin to give you a role" in response.json()["error"]


def test_unknown_picture_is_404(client_in, db):
    assert client_in.get("/api/images/999999/annotations").status_code == 404


def test_method_not_allowed(client_in, make_image):
    assert client_in.delete(url(make_image())).status_code == 405


def test_two_users_history_names_each(client, make_image, annotator):
    other = create_user_with_role("bo", PASSWORD, "annotator")
    image = make_image()
    client.login(username=annotator.username, password=PASSWORD)
    put(client, image, [box()])
    client.login(username=other.username, password=PASSWORD)
    saved = client.get(url(image)).json()
    put(client, image, [box(id=saved["boxes"][0]["id"], x=11)], base_revision=1)
    users = [change["user"] for change in client.get(url(image)).json()["history"]]
    assert users == ["bo", "anna"]


@pytest.mark.django_db
def test_a_save_with_more_boxes_than_a_picture_may_hold_is_refused_before_any_write(client, annotator, make_image):  # type: ignore[no-untyped-def]
    client.force_login(annotator)
    image = make_image()
    Annotation.objects.create(image=image, x=1, y=2, width=3, height=4, view="TOP", defect="PASS")
    response = put(client, image, [box() for _ in range(501)])
    assert response.status_code == 400
    message = response.json()["error"]
    assert "at most 500 boxes" in message and "501" in message
    image.refresh_from_db()
    assert image.annotation_revision == 0
    assert Annotation.objects.filter(image=image).count() == 1
    assert not AnnotationChange.objects.filter(image=image).exists()


@pytest.mark.django_db
def test_save_boxes_itself_refuses_too_many_boxes(annotator, make_image):  # type: ignore[no-untyped-def]
    from annotations.actions import MAX_BOXES_PER_PICTURE, BoxInput, TooManyBoxes, save_boxes

    image = make_image()
    boxes = [BoxInput(x=1, y=1, width=2, height=2, view="TOP", defect="PASS")] * (MAX_BOXES_PER_PICTURE + 1)
    with pytest.raises(TooManyBoxes):
        save_boxes(image, boxes, base_revision=0, user=annotator)
    image.refresh_from_db()
    assert image.annotation_revision == 0


def test_a_save_takes_a_dozen_queries_at_most(client, annotator, make_image, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    """Session, user and roles (read once), the picture, the revision bump, the boxes, the history: no more."""
    import json

    image = make_image("w1_TOP.png")
    client.login(username=annotator.username, password=PASSWORD)
    url = f"/api/images/{image.pk}/annotations"
    boxes = [{"id": None, "x": 10, "y": 20, "width": 15, "height": 6, "view": "TOP", "defect": "PASS"}]
    saved = client.put(url, data=json.dumps({"base_revision": 0, "boxes": boxes}), content_type="application/json").json()
    boxes = saved["boxes"]
    boxes[0]["x"] = 11
    with django_assert_max_num_queries(12):
        answer = client.put(url, data=json.dumps({"base_revision": saved["revision"], "boxes": boxes}), content_type="application/json")
    assert answer.status_code == 200 and answer.json()["revision"] == saved["revision"] + 1


def test_a_save_answers_only_the_changes_after_the_newest_one_the_page_shows(client_in, make_image) -> None:  # type: ignore[no-untyped-def]
    image = make_image()
    first = put(client_in, image, [box(), box(x=30)]).json()
    shown = first["history"]  # a page that says nothing of history_after gets it all, as before
    assert [change["action"] for change in shown] == ["create", "create"]
    boxes = first["boxes"]
    boxes[0]["x"] = 12
    answer = client_in.put(
        url(image),
        json.dumps({"base_revision": 1, "boxes": boxes, "history_after": shown[0]["id"]}),
        content_type="application/json",
    ).json()
    assert "history" not in answer
    assert [(change["action"], change["after"]["x"]) for change in answer["history_new"]] == [("update", 12)]
    assert all(change["id"] > shown[0]["id"] for change in answer["history_new"])
    refused = client_in.put(
        url(image), json.dumps({"base_revision": 2, "boxes": boxes, "history_after": "all"}), content_type="application/json"
    )
    assert refused.status_code == 400 and "history_after must be the id of the newest change" in refused.json()["error"]
    for out_of_range in (-1, 2**63):  # beyond any id: refused before the database sees it (PostgreSQL would fail on it)
        body = json.dumps({"base_revision": 2, "boxes": boxes, "history_after": out_of_range})
        assert client_in.put(url(image), body, content_type="application/json").status_code == 400
    assert Image.objects.get(pk=image.pk).annotation_revision == 2  # refused before anything was saved


def test_a_body_nested_deeper_than_python_parses_is_a_400(client, annotator, make_image) -> None:  # type: ignore[no-untyped-def]
    image = make_image()
    client.force_login(annotator)
    response = client.put(f"/api/images/{image.pk}/annotations", "[" * 100_000, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"].startswith("The request body is not JSON.")
