"""The admin role given by hand (the Django admin's user page) opens the Django admin, as the role table says."""

from __future__ import annotations

from django.contrib.auth.models import Group, User

from accounts.roles import ADMIN, has_role


def _fresh(user):  # type: ignore[no-untyped-def]
    user.refresh_from_db()
    return user


def test_a_user_put_into_the_admin_role_by_hand_can_open_the_django_admin(client, engineer):
    engineer.groups.add(Group.objects.get(name=ADMIN))
    client.force_login(_fresh(engineer))
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 200  # managing users, as the role table says


def test_a_user_put_into_the_admin_role_through_the_group_can_open_the_django_admin(client, engineer):
    Group.objects.get(name=ADMIN).user_set.add(engineer)
    client.force_login(_fresh(engineer))
    assert client.get("/admin/").status_code == 200


def test_taking_the_admin_role_away_closes_the_django_admin(client, admin_user):
    """An admin made by create_admin (staff, superuser) moved to the engineer role kept every admin power."""
    admin_user.groups.set([Group.objects.get(name="engineer")])
    user = _fresh(admin_user)
    assert not has_role(user, ADMIN) and has_role(user, "engineer")
    client.force_login(user)
    assert client.get("/admin/").status_code == 302  # to the admin's login page


def change_form(user: User, **fields: object) -> dict[str, object]:
    """The Django admin's user page as posted for ``user`` in the admin role, ticks as they stand unless ``fields`` say."""
    form: dict[str, object] = {
        "username": user.username,
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [str(Group.objects.get(name=ADMIN).pk)],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2024-01-01",
        "initial-date_joined_1": "00:00:00",
    }
    form.update(fields)
    return {key: value for key, value in form.items() if value is not None}


def test_an_admin_user_page_save_that_adds_the_admin_role_makes_the_user_staff(client, admin_user, engineer):
    """The way a superuser grants the role: the Django admin's user page, its groups box."""
    client.force_login(admin_user)
    form = change_form(engineer, is_staff=None, is_superuser=None)  # the role given, the two boxes left unticked
    saved = client.post(f"/admin/auth/user/{engineer.pk}/change/", form)
    assert saved.status_code == 302, saved.content[:2000]
    user = _fresh(engineer)
    assert user.is_staff and user.is_superuser


def test_the_migration_makes_admins_given_the_role_before_staff(engineer):
    from importlib import import_module

    from django.apps import apps
    from django.contrib.auth.models import User

    User.groups.through.objects.create(user=engineer, group=Group.objects.get(name=ADMIN))  # as before: no signal
    assert not _fresh(engineer).is_staff
    import_module("accounts.migrations.0002_admin_role_is_staff").admins_are_staff(apps, None)
    user = _fresh(engineer)
    assert user.is_staff and user.is_superuser
