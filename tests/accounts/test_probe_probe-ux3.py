"""Follow-ups of earlier probes: a page opened as a user whose id a later account was given (a restored database)."""

from __future__ import annotations

import re

from accounts.middleware import PAGE_USER_HEADER, PAGE_USER_ID_HEADER
from annotations.models import Annotation
from tests.conftest import PASSWORD


def _key_the_page_sends(client, url: str) -> str:  # type: ignore[no-untyped-def]
    found = re.search(r'data-user-key="([^"]+)"', client.get(url).content.decode())
    assert found, "the page carries no user key"
    return found.group(1)


def _id_given_again(user):  # type: ignore[no-untyped-def]
    """The account is gone and a new colleague got its id, as after a restore of a backup older than the account."""
    pk, groups = user.pk, list(user.groups.all())
    user.delete()
    newcomer = type(user).objects.create_user("bob", password=PASSWORD, id=pk)
    newcomer.groups.set(groups)
    return newcomer


def test_a_save_from_a_page_of_a_deleted_user_whose_id_was_given_again_is_not_called_a_rename(client, annotator, make_image):  # type: ignore[no-untyped-def]
    image = make_image("w1_TOP.png")
    client.login(username=annotator.username, password=PASSWORD)
    old_name = annotator.username
    key = _key_the_page_sends(client, f"/images/{image.pk}/annotate/")
    bob = _id_given_again(annotator)
    client.login(username="bob", password=PASSWORD)  # in another tab
    response = client.put(
        f"/api/images/{image.pk}/annotations",
        data={"base_revision": 0, "boxes": []},
        content_type="application/json",
        headers={PAGE_USER_HEADER: old_name, PAGE_USER_ID_HEADER: key},
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert "renamed" not in error and f"opened as {old_name}, but this browser is now logged in as bob" in error
    assert bob.pk == int(key.split("-")[0])


def test_the_pages_keep_drafts_and_send_a_key_a_later_account_with_the_same_id_does_not_share(client, engineer, make_image):  # type: ignore[no-untyped-def]
    image = make_image("w1_TOP.png")
    Annotation.objects.create(
        image=image, x=20, y=20, width=9, height=9, view="TOP", defect="TOUCH", source="model", review_state="pending"
    )
    client.login(username=engineer.username, password=PASSWORD)
    keys = {_key_the_page_sends(client, url) for url in (f"/images/{image.pk}/annotate/", "/review/")}
    assert len(keys) == 1
    _id_given_again(engineer)
    client.login(username="bob", password=PASSWORD)
    assert _key_the_page_sends(client, f"/images/{image.pk}/annotate/") not in keys
