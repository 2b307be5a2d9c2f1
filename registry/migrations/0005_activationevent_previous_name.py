"""Each activation keeps the name of the version it replaced, so the history still says it once that version is deleted."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def remember_previous(apps, schema_editor):  # type: ignore[no-untyped-def]
    ActivationEvent = apps.get_model("registry", "ActivationEvent")
    ModelVersion = apps.get_model("registry", "ModelVersion")
    names = ModelVersion.objects.filter(pk=OuterRef("previous_id")).values("name")[:1]
    ActivationEvent.objects.filter(previous__isnull=False).update(previous_name=Subquery(names))


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0004_modelversion_run_number"),
    ]

    operations = [
        migrations.AddField(
            model_name="activationevent",
            name="previous_name",
            field=models.CharField(blank=True, default="", help_text="Kept when the replaced version is deleted.", max_length=200),
        ),
        migrations.RunPython(remember_previous, migrations.RunPython.noop),
    ]
