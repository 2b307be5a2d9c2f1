"""Every 10 minutes, remove finished exports older than WIRESAG_EXPORT_EXPIRE_HOURS (django-q2 schedule)."""

from django.db import migrations

NAME = "interop-expire-exports"


def add_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=NAME,
        defaults={"func": "interop.exports.expire_finished", "schedule_type": "I", "minutes": 10, "repeats": -1},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("interop", "0001_expire_schedule")]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
