"""A user renamed by an admin while their page is open, saving from it."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from accounts.middleware import PAGE_USER_HEADER, PAGE_USER_ID_HEADER
from accounts.users import create_user_with_role, page_user_key
from tests.conftest import PASSWORD


def _save_from_a_page_opened_as(client, image, name: str, user_key: str):  # type: ignore[no-untyped-def]
    return client.put(
        f"/api/images/{image.pk}/annotations",
        data={"base_revision": 0, "boxes": []},
        content_type="application/json",
        headers={PAGE_USER_HEADER: name, PAGE_USER_ID_HEADER: user_key},
    )


def test_a_save_after_an_admin_renamed_the_account_says_it_was_renamed_not_to_log_in_as_the_old_name(client, annotator, make_image):
    """The sentence told the user to log in as their old name, which no longer exists."""
    image = make_image("w1_TOP.png")
    client.login(username=annotator.username, password=PASSWORD)
    old_name = annotator.username
    annotator.username = "anna.berg"
    annotator.save(update_fields=["username"])
    response = _save_from_a_page_opened_as(client, image, old_name, page_user_key(annotator))
    assert response.status_code == 403
    error = response.json()["error"]
    assert f"renamed from {old_name} to anna.berg" in error and "Reload this page" in error
    assert f"Log in as {old_name}" not in error


def test_a_save_from_another_users_page_still_says_to_log_in_as_them(client, annotator, make_image):
    bob = create_user_with_role("bob", PASSWORD, "annotator")
    image = make_image("w1_TOP.png")
    client.login(username=annotator.username, password=PASSWORD)
    response = _save_from_a_page_opened_as(client, image, "bob", page_user_key(bob))
    assert response.status_code == 403
    error = response.json()["error"]
    assert "renamed" not in error and "Log in as bob again" in error


def test_the_annotation_and_review_pages_send_the_id_they_were_opened_as(client, annotator, make_image):
    image = make_image("w1_TOP.png")
    client.login(username=annotator.username, password=PASSWORD)
    assert f'data-user-id="{annotator.pk}"' in client.get(f"/images/{image.pk}/annotate/").content.decode()
    static = Path(settings.BASE_DIR) / "static"
    for script in ("annotations/annotate.js", "review/queue.js"):
        assert f'"{PAGE_USER_ID_HEADER}": ' in (static / script).read_text(), script
