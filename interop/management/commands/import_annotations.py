"""Import annotations from a file, folder or zip (any supported format) for scripts."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.models import LabelMapping
from core.safepath import wire_group_problem
from interop.apply import ImportRefused, apply_plan, plan_import
from interop.dataset import FormatError
from interop.mapping import clean, suggest
from interop.reading import FORMAT_NAMES, read_source
from interop.sources import prepare


def _mapping_file(path: Path) -> dict[str, Any]:
    """A mapping saved as JSON (``{"labels": {...}, "attributes": {...}, ...}``); anything else is a ``CommandError``."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise CommandError(f"--mapping {path} is not a JSON file ({error}); save the mapping as JSON, or name a saved mapping.") from None
    if not isinstance(saved, dict):
        raise CommandError(f"--mapping {path} must hold a JSON object with 'labels' (and 'attributes'), not a {type(saved).__name__}.")
    return saved


class Command(BaseCommand):
    help = "Import boxes (and pictures) from the desktop tool, YOLO, COCO, VOC, CVAT, Label Studio or CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="annotation file, folder or zip")
        parser.add_argument("--format", default="auto", choices=["auto", *FORMAT_NAMES])
        parser.add_argument("--pictures", help="folder holding the pictures (the desktop tool's photo folder's parent)")
        parser.add_argument("--mapping", help="name of a saved label mapping, or a JSON file with one")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="LABEL=DEFECT[:VIEW]|skip",
            help="map one foreign label, e.g. car=TOUCH:TOP or bus=skip (repeatable)",
        )
        parser.add_argument("--default-view", default="", choices=["", "TOP", "SIDE"])
        parser.add_argument("--wire-group", default="", help="lot or batch put in front of every picture's folder")
        parser.add_argument("--no-clip", action="store_true", help="skip boxes reaching outside the picture instead of clipping them")
        parser.add_argument("--save-mapping", help="save the mapping used under this name")
        parser.add_argument("--user", help="record the import as done by this user")
        parser.add_argument("--dry-run", action="store_true", help="only report what would happen")

    def _mapping(self, options: dict[str, Any], dataset: Any) -> dict[str, Any]:
        raw = suggest(dataset)
        if options["mapping"]:
            path = Path(options["mapping"])
            saved = _mapping_file(path) if path.is_file() else None
            if saved is None:
                found = LabelMapping.objects.filter(name=options["mapping"]).first()
                if found is None:
                    raise CommandError(f"No saved mapping or JSON file named {options['mapping']!r}.")
                saved = found.mapping
            for section in ("labels", "attributes"):
                raw[section].update(saved.get(section, {}))
            raw["default_view"] = saved.get("default_view", "")
            raw["default_defect"] = saved.get("default_defect", "")
        for item in options["map"]:
            label, _, target = item.rpartition("=")
            if not label:
                raise CommandError(f"--map {item!r}: write LABEL=DEFECT[:VIEW] or LABEL=skip.")
            defect, _, view = target.partition(":")
            raw["labels"][label] = {"skip": True} if defect.lower() == "skip" else {"defect": defect.upper(), "view": view.upper()}
        if options["default_view"]:
            raw["default_view"] = options["default_view"]
        try:
            return clean(raw)
        except ValueError as error:
            raise CommandError(str(error)) from None

    def handle(self, *args: Any, **options: Any) -> None:
        options["wire_group"] = options["wire_group"].strip()
        if problem := wire_group_problem(options["wire_group"]):
            raise CommandError(problem)
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
        with tempfile.TemporaryDirectory(prefix="wiresag-import-") as work:
            try:
                source = prepare(Path(options["source"]).resolve(), Path(work))
                pictures = Path(options["pictures"]).resolve() if options["pictures"] else None
                dataset = read_source(source, options["format"], pictures)
            except (FormatError, ImportRefused, OSError) as error:
                raise CommandError(str(error)) from None
            mapping = self._mapping(options, dataset)
            plan = plan_import(dataset, mapping, clip=not options["no_clip"], wire_group=options["wire_group"])
            self.stdout.write(f"Format: {dataset.format}; {len(dataset.images)} pictures named, labels: {dataset.label_counts()}")
            self.stdout.write(
                f"Will import {plan.box_count} boxes on {len(plan.images)} pictures ({plan.new_picture_count} new pictures, "
                f"{plan.clipped_count} boxes clipped)."
            )
            if settled := plan.settled_note():
                self.stdout.write(settled)
            for reason, count in plan.skip_reasons().items():
                self.stdout.write(f"Skipped {count}: {reason}")
            for note in plan.notes:
                self.stdout.write(f"Note: {note}")
            # As the import page saves it: another person's mapping of that name is kept, not replaced.
            name = options["save_mapping"]
            if name and (refused := LabelMapping.objects.save_as(name, mapping, dataset.format, user)):
                raise CommandError(f"{refused} Nothing was imported.")
            if options["dry_run"]:
                self.stdout.write("Dry run: nothing was written.")
                return
            try:
                result = apply_plan(plan, user)
            except OSError as error:  # a full disk: the transaction rolled back and the stored files were removed
                raise CommandError(
                    f"Nothing was imported: the pictures could not be written ({error}). Free disk space, then run it again."
                ) from None
        self.stdout.write(self.style.SUCCESS(f"Imported {result.boxes_created} boxes and {result.pictures_created} new pictures."))
        if settled := result.settled_sentence():
            self.stdout.write(self.style.SUCCESS(settled))
        if changed := result.changed_sentence():
            self.stdout.write(self.style.WARNING(changed))
        for name, reason in result.damaged:
            self.stdout.write(self.style.WARNING(f"Left out with its boxes, it could not be read: {name}: {reason}"))
