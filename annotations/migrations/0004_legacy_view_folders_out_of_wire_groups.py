"""Pictures imported from the desktop tool got the view folder in their wire group (``Top/沖線``,
``Side/沖線``), so the two views of one wire were two wires: never paired in the split or in the
wire verdict. The view folder is not part of a wire's identity; it is taken out of the group."""

from django.db import migrations

VIEW_FOLDERS = {"top", "side"}


def without_view_folders(group):
    return "/".join(part for part in group.split("/") if part and part.casefold() not in VIEW_FOLDERS)


def forwards(apps, schema_editor):
    Image = apps.get_model("annotations", "Image")
    for image in Image.objects.exclude(wire_group="").only("id", "wire_group").iterator():
        cleaned = without_view_folders(image.wire_group)
        if cleaned != image.wire_group:
            Image.objects.filter(pk=image.pk).update(wire_group=cleaned)


class Migration(migrations.Migration):
    dependencies = [("annotations", "0003_wire_group_validator")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
