"""Create the three role groups (annotator, engineer, admin).

This used to be ``annotations.0002_roles``; an installation that ran that one already has
the groups, and ``get_or_create`` leaves them (and their members) as they are.
"""

from __future__ import annotations

from django.db import migrations

ROLES = ("annotator", "engineer", "admin")


def create_roles(apps, schema_editor):  # type: ignore[no-untyped-def]
    group = apps.get_model("auth", "Group")
    for name in ROLES:
        group.objects.get_or_create(name=name)


def remove_roles(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_roles, remove_roles)]
