from django.db import migrations, models
from django.db.models import F, Q


def queued_runs_were_queued_when_created(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Runs queued before this field: those a task was handed for (not a later model of a "train all") count from their creation."""
    TrainingRun = apps.get_model("training", "TrainingRun")
    TrainingRun.objects.filter(Q(sequence="") | Q(sequence_index=0), status="queued").update(queued_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0006_run_launch_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="trainingrun",
            name="queued_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(queued_runs_were_queued_when_created, migrations.RunPython.noop),
    ]
