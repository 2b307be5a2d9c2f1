"""Every hour, delete the prepared training data sets no run has used for a while (django-q2 schedule, quick queue)."""

from django.db import migrations

NAME = "training-expire-datasets"
QUICK = "wiresag-quick"  # settings.QUICK_QUEUE, frozen here as a migration must be


def add_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=NAME,
        defaults={"func": "training.jobs.expire_datasets", "schedule_type": "I", "minutes": 60, "repeats": -1, "cluster": QUICK},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0007_run_queued_at"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
