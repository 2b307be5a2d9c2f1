"""Every 10 minutes, remove import folders abandoned for longer than WIRESAG_IMPORT_EXPIRE_HOURS (django-q2 schedule).

This used to be one step of ``training.jobs.periodic_maintenance``; imports are this app's job.
"""

from django.db import migrations

NAME = "interop-expire-imports"


def add_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=NAME,
        defaults={"func": "interop.jobs.expire_abandoned", "schedule_type": "I", "minutes": 10, "repeats": -1},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more")]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
