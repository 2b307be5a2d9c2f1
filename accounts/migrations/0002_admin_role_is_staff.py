"""Members of the admin group given the role by hand (the Django admin's user page) become staff and superuser.

From now on ``accounts.signals`` keeps them together; this catches those given the role before.
"""

from __future__ import annotations

from django.db import migrations


def admins_are_staff(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("auth", "User").objects.filter(groups__name="admin").update(is_staff=True, is_superuser=True)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_roles")]
    operations = [migrations.RunPython(admins_are_staff, migrations.RunPython.noop)]
