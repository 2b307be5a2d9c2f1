"""The maintenance schedules run on the quick queue, not behind a training run on the main one.

With one training worker busy for hours, the every-minute reaping of dead workers' runs (and the
expiry of imports and exports) waited until the training ended; the quick cluster that
``manage.py worker`` runs beside it takes them at once.
"""

from django.db import migrations

QUICK = "wiresag-quick"  # settings.QUICK_QUEUE, frozen here as a migration must be
NAMES = ("training-maintenance", "interop-expire-imports", "interop-expire-exports")


def to_quick(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__in=NAMES).update(cluster=QUICK)


def to_main(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__in=NAMES).update(cluster=None)


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0004_cross_validation"),
        ("interop", "0002_expire_exports_schedule"),
    ]

    operations = [migrations.RunPython(to_quick, to_main)]
