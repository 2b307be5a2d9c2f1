"""The review-expire-files schedule runs on the quick queue, as the other maintenance schedules do (training 0005).

On the main queue it waited behind a training run of hours (each 10 minutes another task piled up), so
zips and sent-form tokens outlived their hours by as long as the training took.
"""

from django.db import migrations

QUICK = "wiresag-quick"  # settings.QUICK_QUEUE, frozen here as a migration must be
NAME = "review-expire-files"


def to_quick(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).update(cluster=QUICK)


def to_main(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).update(cluster=None)


class Migration(migrations.Migration):
    dependencies = [("review", "0001_expire_schedule")]

    operations = [migrations.RunPython(to_quick, to_main)]
