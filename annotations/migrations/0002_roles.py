"""Kept so that installations which applied it keep a consistent history.

The role groups are made by ``accounts.0001_roles`` now (the accounts app owns roles).
"""

from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("annotations", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations: list[migrations.operations.base.Operation] = []
