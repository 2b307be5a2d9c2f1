"""The admin role and Django's staff and superuser flags move together, however the role is given or taken.

``create_user_with_role`` makes an admin staff and superuser; a superuser who gives the role on the Django admin's
user page (its groups box) only adds the group. Without this, such an admin could not open ``/admin/`` (not staff),
and an admin moved to another role stayed a superuser, so kept every role. The role decides: a user saved in it
with a flag unticked stays staff and superuser (the Django admin's user page says so first, ``accounts.admin``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, pre_save
from django.dispatch import receiver

from accounts.roles import ADMIN

User = get_user_model()


def _set_admin_flags(user_ids: set[int], admin: bool) -> None:
    User.objects.filter(pk__in=user_ids).update(is_staff=admin, is_superuser=admin)


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="accounts.admin_role_flags")
def admin_role_flags(sender: type, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any) -> None:
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    admin = action == "post_add"
    if isinstance(instance, Group):  # group.user_set.add(...): pk_set holds users
        if instance.name != ADMIN:
            return
        users = set(instance.user_set.values_list("pk", flat=True)) if action == "pre_clear" else set(pk_set or ())
    else:  # user.groups.add(...): pk_set holds groups
        groups = instance.groups.all() if action == "pre_clear" else Group.objects.filter(pk__in=pk_set or ())
        if not groups.filter(name=ADMIN).exists():
            return
        users = {instance.pk}
        instance.is_staff = instance.is_superuser = admin  # the object in hand agrees with its row
    _set_admin_flags(users, admin)


@receiver(pre_save, sender=User, dispatch_uid="accounts.admin_role_keeps_flags")
def admin_role_keeps_flags(sender: type, instance: Any, raw: bool, update_fields: frozenset[str] | None, **kwargs: Any) -> None:
    if raw or instance.pk is None or (instance.is_staff and instance.is_superuser):
        return
    if update_fields is not None and not {"is_staff", "is_superuser"} & update_fields:  # a login's last_login: no query
        return
    if instance.groups.filter(name=ADMIN).exists():  # taking the role away in the same save comes after, and takes both
        instance.is_staff = instance.is_superuser = True
