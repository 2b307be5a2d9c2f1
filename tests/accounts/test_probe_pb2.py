"""A page's own requests after another user logged in in another tab of the same browser."""

from __future__ import annotations

import pytest

from accounts.users import create_user_with_role
from annotations.models import AnnotationChange
from tests.conftest import PASSWORD


@pytest.mark.parametrize("page_user", ["99999999999999999999999", "²", "x"])
def test_a_page_user_header_that_is_no_id_is_refused_with_a_sentence(client, annotator, make_image, page_user):
    image = make_image("w1_TOP.png")
    client.login(username=annotator.username, password=PASSWORD)
    response = client.put(
        f"/api/images/{image.pk}/annotations",
        data={"base_revision": 0, "boxes": []},
        content_type="application/json",
        headers={"X-Wiresag-Page-User": page_user},
    )
    assert response.status_code == 403
    assert "opened as another user" in response.json()["error"]


def test_a_save_from_the_same_users_page_goes_through(client, annotator, make_image):
    create_user_with_role("bob", PASSWORD, "annotator")
    image = make_image("w1_TOP.png")
    client.login(username=annotator.username, password=PASSWORD)
    box = {"x": 1, "y": 1, "width": 10, "height": 10, "view": "TOP", "defect": "PASS"}
    response = client.put(
        f"/api/images/{image.pk}/annotations",
        data={"base_revision": 0, "boxes": [box]},
        content_type="application/json",
        headers={"X-Wiresag-Page-User": str(annotator.pk)},
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
