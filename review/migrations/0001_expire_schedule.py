"""Every 10 minutes, forget day-old sent-form tokens and remove finished inspections' zips (django-q2 schedule)."""

from django.db import migrations

NAME = "review-expire-files"


def add_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=NAME,
        defaults={"func": "review.inspection.expire_files", "schedule_type": "I", "minutes": 10, "repeats": -1},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more")]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
