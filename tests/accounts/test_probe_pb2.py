"""A page's own requests after another user logged in in another tab of the same browser."""

from __future__ import annotations

import pytest

from accounts.users import create_user_with_role
from annotations.models import AnnotationChange
from tests.conftest import PASSWORD


@pytest.mark.parametrize("page_user", ["99999999999999999999999", "%C2%B2", "%ZZ", "x" * 5000])
def test_a_page_user_header_naming_someone_else_is_refused_with_a_sentence(client, annotator, make_image, page_user):
    image = make_image("w1_TOP.png")
    client.login(username=annotator.username, password=PASSWORD)
    response = client.put(
        f"/api/images/{image.pk}/annotations",
        data={"base_revision": 0, "boxes": []},
        content_type="application/json",
        headers={"X-Wiresag-Page-User": page_user},
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert "This page was opened as " in error and f"now logged in as {annotator.username}" in error and len(error) < 600


def test_the_refusal_never_names_a_user_the_header_did_not(client, annotator, make_image):
    """The page sends the name it was opened as: an id looked up would tell any user every other user's name."""
    secret = create_user_with_role("quiet-admin", PASSWORD, "admin")
    image = make_image("w1_TOP.png")
    client.login(username=annotator.username, password=PASSWORD)
    response = client.put(
        f"/api/images/{image.pk}/annotations",
        data={"base_revision": 0, "boxes": []},
        content_type="application/json",
        headers={"X-Wiresag-Page-User": str(secret.pk)},
    )
    assert response.status_code == 403 and secret.username not in response.json()["error"]


def test_a_save_from_the_same_users_page_goes_through(client, annotator, make_image):
    create_user_with_role("bob", PASSWORD, "annotator")
    image = make_image("w1_TOP.png")
    client.login(username=annotator.username, password=PASSWORD)
    box = {"x": 1, "y": 1, "width": 10, "height": 10, "view": "TOP", "defect": "PASS"}
    response = client.put(
        f"/api/images/{image.pk}/annotations",
        data={"base_revision": 0, "boxes": [box]},
        content_type="application/json",
        headers={"X-Wiresag-Page-User": annotator.username},
    )
    assert response.status_code == 200, response.content
    assert AnnotationChange.objects.get().user == annotator


def test_a_switched_off_account_logging_in_again_is_told_so_not_that_the_password_is_wrong(client, annotator):
    """An admin switched the account off while its pages were open; the next save says to log in again, and the login
    said the password did not match: the user tried it again and again (each try counts towards the lockout)."""
    annotator.is_active = False
    annotator.save(update_fields=["is_active"])
    page = client.post("/login/", {"username": annotator.username, "password": PASSWORD}).content.decode()
    assert "did not match" not in page
    assert "switched off" in page and "admin" in page
    wrong = client.post("/login/", {"username": annotator.username, "password": "not it"}).content.decode()
    assert "did not match" in wrong and "switched off" not in wrong, "a wrong password must not learn the account's state"


def test_a_page_of_a_user_with_a_chinese_name_saves(client, make_image):
    """Header values are Latin-1 at most: the page percent-encodes the name it was opened as."""
    from urllib.parse import quote

    wang = create_user_with_role("王小明", PASSWORD, "annotator")
    image = make_image("w1_TOP.png")
    client.login(username=wang.username, password=PASSWORD)
    box = {"x": 1, "y": 1, "width": 10, "height": 10, "view": "TOP", "defect": "PASS"}
    response = client.put(
        f"/api/images/{image.pk}/annotations",
        data={"base_revision": 0, "boxes": [box]},
        content_type="application/json",
        headers={"X-Wiresag-Page-User": quote(wang.username)},
    )
    assert response.status_code == 200, response.content
