"""The Django admin's user page, where a superuser gives and takes roles (the groups box)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from accounts.roles import ADMIN


class RoleUserChangeForm(UserChangeForm):
    """Refuses to untick staff or superuser while the admin role stays: the role decides them (``accounts.signals``).

    Giving the role with both unticked is no contradiction: the role ticks them (``accounts.signals``).
    """

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        groups = data.get("groups")
        stays = groups is not None and groups.filter(name=ADMIN).exists() and self.instance.groups.filter(name=ADMIN).exists()
        if stays and not (data.get("is_staff") and data.get("is_superuser")):
            name = data.get("username") or self.instance.username
            raise ValidationError(
                f"{name} is in the admin role, which makes a user staff and superuser: to take those away, take the admin "
                "group away in the Groups box (and give another role); to keep the role, leave both ticked."
            )
        return data


class RoleUserAdmin(UserAdmin):
    form = RoleUserChangeForm
    # When the account joined is part of who a page was opened as (``accounts.users.page_user_key``): edited, it would
    # make the user's open pages and kept drafts look like another account's. It is a record, not a setting.
    readonly_fields = ("date_joined",)


admin.site.unregister(User)
admin.site.register(User, RoleUserAdmin)
