"""Leftovers P-H: the admin role decides the staff and superuser flags, also when a box is unticked on the Django admin."""

from __future__ import annotations

from django.contrib.auth.models import Group

from accounts.roles import ADMIN, has_role
from tests.accounts.test_probe_pe import _fresh, change_form


def test_unticking_superuser_of_a_user_in_the_admin_role_is_refused_with_a_sentence(client, admin_user, engineer) -> None:  # type: ignore[no-untyped-def]
    """The admin role stayed (the groups box) but superuser was unticked: the save said "changed successfully", the
    user's menu still offered the Django admin, and the Django admin showed them nothing they could change."""
    engineer.groups.add(Group.objects.get(name=ADMIN))
    client.force_login(admin_user)
    answer = client.post(f"/admin/auth/user/{engineer.pk}/change/", change_form(engineer, is_superuser=None))
    assert answer.status_code == 200, answer.status_code  # the form again, with the sentence
    page = answer.content.decode()
    assert "erik is in the admin role, which makes a user staff and superuser" in page
    user = _fresh(engineer)
    assert user.is_staff and user.is_superuser and has_role(user, ADMIN)


def test_unticking_superuser_and_the_admin_role_together_takes_both_away(client, admin_user, engineer) -> None:  # type: ignore[no-untyped-def]
    engineer.groups.add(Group.objects.get(name=ADMIN))
    client.force_login(admin_user)
    engineer_group = str(Group.objects.get(name="engineer").pk)
    form = change_form(engineer, is_staff=None, is_superuser=None, groups=[engineer_group])
    assert client.post(f"/admin/auth/user/{engineer.pk}/change/", form).status_code == 302
    user = _fresh(engineer)
    assert not (user.is_staff or user.is_superuser or has_role(user, ADMIN)) and has_role(user, "engineer")


def test_a_user_in_the_admin_role_saved_without_the_flags_stays_staff_and_superuser(admin_user) -> None:  # type: ignore[no-untyped-def]
    """Any other way of saving (a shell, a script): the role decides, as the Django admin's groups box does."""
    admin_user.is_superuser = admin_user.is_staff = False
    admin_user.save()
    user = _fresh(admin_user)
    assert user.is_staff and user.is_superuser


def test_a_login_of_a_user_without_the_admin_role_does_not_ask_for_its_groups(client, engineer, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import update_last_login

    with django_assert_num_queries(1):  # the update of last_login alone
        update_last_login(None, engineer)
