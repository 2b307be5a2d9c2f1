"""When an account joined is part of who its pages were opened as (``page_user_key``): the admin cannot edit it.

Edited on the Django admin's user page, it made that user's open pages say their account had changed and hid the
drafts their pages keep, as if they belonged to someone else.
"""

from __future__ import annotations

from accounts.users import page_user_key
from tests.accounts.test_probe_pe import _fresh, change_form


def test_the_admin_user_page_shows_date_joined_and_a_save_leaves_it_as_it_was(client, admin_user, engineer) -> None:  # type: ignore[no-untyped-def]
    key, joined = page_user_key(engineer), engineer.date_joined
    client.force_login(admin_user)

    page = client.get(f"/admin/auth/user/{engineer.pk}/change/").content.decode()
    assert 'name="date_joined_0"' not in page  # no field to type into
    assert "Date joined" in page  # still shown

    form = change_form(engineer, date_joined_0="2020-01-01", date_joined_1="12:00:00", groups=[], is_staff=None, is_superuser=None)
    assert client.post(f"/admin/auth/user/{engineer.pk}/change/", form).status_code == 302  # the rest of the save went through
    user = _fresh(engineer)
    assert user.date_joined == joined and page_user_key(user) == key
