"""``manage.py infer <folder> --output results.csv``: inspect a folder of pictures for scripts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.datafolder import inside_data_folder_problem
from core.imaging.pictures import DEFAULT_CONF_THRESHOLD, pictures_in_folder
from core.inspection.reports import write_csv
from core.inspection.verdicts import DEFAULT_RULE, RULES
from core.outputs import output_link_problem, replacing
from registry.models import ModelVersion
from review.prediction import PredictionUnavailable, build_pipeline, choose_versions, version_names


class Command(BaseCommand):
    help = "Inspect every picture below a folder with the active (or chosen) models and write a CSV report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument(
            "--output", type=Path, required=True, help="CSV file to write (the desktop tool's columns plus the wire verdict)."
        )
        parser.add_argument(
            "--versions",
            nargs="*",
            default=[],
            metavar="NAME",
            help="Version names to use instead of the active ones (one per model type you want to replace).",
        )
        parser.add_argument("--conf", type=float, default=DEFAULT_CONF_THRESHOLD, help="Detection confidence threshold.")
        parser.add_argument("--rule", choices=RULES, default=DEFAULT_RULE, help="How a wire's two views combine.")
        parser.add_argument("--format", choices=("csv", "all"), default="csv", help="all: also write .json and .xlsx beside the CSV.")
        parser.add_argument("--overwrite", action="store_true", help="replace reports of the same name already there")

    def handle(self, *args: Any, **options: Any) -> None:
        folder: Path = options["folder"]
        if not 0.0 < options["conf"] < 1.0:  # also refuses nan
            raise CommandError(f"--conf {options['conf']} is not a detection threshold: give a number between 0 and 1, for example 0.25.")
        if not folder.is_dir():
            raise CommandError(f"The folder {folder} does not exist; give the folder that holds the pictures.")
        output: Path = options["output"]
        if output.is_dir():
            raise CommandError(f"--output {output} is a folder; give the CSV file to write, for example {output / 'results.csv'}.")
        if problem := inside_data_folder_problem(output, "--output"):
            raise CommandError(problem)
        # Said before the models run: --format all writes the JSON and the workbook beside the CSV, with their own suffix.
        if options["format"] == "all" and output.suffix.lower() in (".json", ".xlsx"):
            raise CommandError(
                f"--output {output} would be overwritten by the {output.suffix.lower()[1:].upper()} report that --format all "
                f"writes beside the CSV; name the CSV {output.with_suffix('.csv')}."
            )
        # Said before the models run: an operator who typed the name of yesterday's report would lose it.
        written = [output, output.with_suffix(".json"), output.with_suffix(".xlsx")] if options["format"] == "all" else [output]
        for path in written:  # the JSON and the workbook beside the CSV too
            if problem := output_link_problem(path, "--output" if path == output else "The report"):
                raise CommandError(f"{problem} Nothing was inspected.")
        if (there := [path for path in written if path.exists()]) and not options["overwrite"]:
            raise CommandError(
                f"{', '.join(str(path) for path in there)} {'is' if len(there) == 1 else 'are'} already there "
                "(an earlier report?); nothing was inspected. Name another --output, or give --overwrite to replace "
                f"{'it' if len(there) == 1 else 'them'}."
            )
        chosen = {}
        for name in options["versions"]:
            version = ModelVersion.objects.filter(name=name).first()
            if version is None:
                raise CommandError(f"No model version is named {name!r}; see the Models page for the names.")
            chosen[version.model_type] = version.pk
        inputs = pictures_in_folder(folder)
        if not inputs:
            raise CommandError(f"{folder} holds no pictures (PNG, JPEG, BMP or TIFF).")
        try:
            versions = choose_versions(chosen)
            pipeline = build_pipeline(versions, options["conf"], options["rule"])
        except PredictionUnavailable as error:
            raise CommandError(str(error)) from None

        def progress(done: int, total: int, result: Any) -> None:
            if options["verbosity"] > 1:
                self.stdout.write(f"{done}/{total} {result.image_name} {result.error or len(result.boxes)}")

        report = pipeline.run(inputs, progress=progress, versions=version_names(versions))
        output.parent.mkdir(parents=True, exist_ok=True)
        with replacing(output) as partial:  # never through a link put there while the models ran
            write_csv(report, partial)
        if options["format"] == "all":
            with replacing(output.with_suffix(".json")) as partial:
                partial.write_text(report_json(report), encoding="utf-8", errors="replace")
            with replacing(output.with_suffix(".xlsx")) as partial:
                partial.write_bytes(report.xlsx_bytes())
        counts = report.counts()
        self.stdout.write(
            f"Inspected {counts['pictures']} pictures ({counts['pictures_failed']} failed): {counts['wires']} wires, "
            f"verdicts {counts['wires_per_class']}. Wrote {output}."
        )


def report_json(report: Any) -> str:
    import json

    return json.dumps(report.to_json(), indent=1, ensure_ascii=False)
