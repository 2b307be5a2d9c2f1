"""Logins made before a login lasted one shift (``WIRESAG_SESSION_HOURS``) end within one shift of the upgrade.

Django stores a session's end when it saves the session: those saved by the older code kept Django's two weeks after
the upgrade, so a shared shop-floor PC logged in before it stayed logged in as its last user for days. Nobody is logged
out at once: their shift goes on.
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def end_within_one_shift(apps, schema_editor):  # type: ignore[no-untyped-def]
    latest = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    apps.get_model("sessions", "Session").objects.filter(expire_date__gt=latest).update(expire_date=latest)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_admin_role_is_staff"), ("sessions", "0001_initial")]
    operations = [migrations.RunPython(end_within_one_shift, migrations.RunPython.noop)]
