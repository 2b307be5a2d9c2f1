"""Each version keeps the number of the training run that registered it, so a deleted run is told apart from none."""

from django.db import migrations, models
from django.db.models import F


def remember_runs(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("registry", "ModelVersion").objects.filter(training_run__isnull=False).update(run_number=F("training_run_id"))


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_drop_deactivate_choice"),
    ]

    operations = [
        migrations.AddField(
            model_name="modelversion",
            name="run_number",
            field=models.PositiveIntegerField(blank=True, help_text="The training run that registered it.", null=True),
        ),
        migrations.RunPython(remember_runs, migrations.RunPython.noop),
    ]
