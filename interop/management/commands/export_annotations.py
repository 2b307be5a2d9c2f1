"""Export a filtered selection of boxes to a zip in a foreign format, for scripts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.datafolder import inside_data_folder_problem
from annotations.models import Image
from core.outputs import output_link_problem, replacing
from interop.export import EXPORT_FORMATS, ExportRefused, export_zip, select, unmarked_note, without_boxes_note


class Command(BaseCommand):
    help = "Export boxes (with pictures) to YOLO, COCO, Pascal VOC, CVAT 1.1, Label Studio or CSV as a zip."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", help="zip file to write")
        parser.add_argument("--format", required=True, choices=list(EXPORT_FORMATS))
        parser.add_argument("--view", default="", choices=["", "TOP", "SIDE"])
        parser.add_argument("--defect", default="", choices=["", "PASS", "SWEEP", "WOBBLE", "TOUCH"])
        parser.add_argument("--wire-group", default="", help="only pictures whose group starts with this")
        parser.add_argument("--name", default="", help="only pictures whose name contains this")
        parser.add_argument("--all-boxes", action="store_true", help="include model boxes still waiting for review or rejected")
        parser.add_argument("--no-pictures", action="store_true", help="labels only (not for YOLO, which needs the pictures)")
        parser.add_argument("--overwrite", action="store_true", help="replace the zip when a file of that name is already there")

    def handle(self, *args: Any, **options: Any) -> None:
        images = select(
            view=options["view"],
            defect=options["defect"],
            wire_group=options["wire_group"],
            name=options["name"],
            for_training=not options["all_boxes"],
        )
        count = images.count()
        if not count:
            raise CommandError("No boxes match these filters; nothing was exported.")
        target = Path(options["target"])
        if target.is_dir():
            raise CommandError(f"{target} is a folder; give the zip file to write, for example {target / 'annotations.zip'}.")
        if problem := output_link_problem(target, "The zip") or inside_data_folder_problem(target, "The zip"):
            raise CommandError(f"{problem} Nothing was exported.")
        if not target.parent.is_dir():
            raise CommandError(f"There is no folder {target.parent}; create it first, or name a zip in an existing folder.")
        if target.exists() and not options["overwrite"]:
            raise CommandError(
                f"{target} is already there (an earlier export?); nothing was exported. Name another zip, "
                "or give --overwrite to replace it."
            )
        try:
            with replacing(target) as partial:  # the zip appears only whole, and never through a link
                counts = export_zip(images, options["format"], partial, include_pictures=not options["no_pictures"])
        except ExportRefused as refusal:
            raise CommandError(f"{refusal} Nothing was exported.") from None
        except FileNotFoundError as missing:  # the files were all there when the export began (export.refuse_missing_pictures)
            lost = Image.objects.filter(sha256=Path(str(missing.filename)).stem).first()  # stored under its sha256
            what = f"The file of the picture {lost.original_name} (id {lost.pk})" if lost else "A picture of the selection"
            raise CommandError(
                f"{what} went missing from the data folder while the export was being written, so nothing was exported. "
                "Copy it back from the backup, or export the labels only (--no-pictures)."
            ) from None
        except OSError as error:
            raise CommandError(f"The zip could not be written ({error}); nothing was exported.") from None
        self.stdout.write(self.style.SUCCESS(f"Exported {count} pictures to {target}."))
        training = not options["all_boxes"]
        if note := without_boxes_note(
            wire_group=options["wire_group"], name=options["name"], for_training=training, all_boxes="--all-boxes"
        ):
            self.stdout.write(self.style.WARNING(note))
        if note := unmarked_note(counts):
            self.stdout.write(self.style.WARNING(note))
