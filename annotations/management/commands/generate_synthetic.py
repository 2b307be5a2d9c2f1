"""Generate synthetic X-ray pictures (and optionally take them into the library)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.demo import image_size_problem, load_synthetic_dataset, wires_problem
from core.data import synthetic
from core.labels import DEFECTS


class Command(BaseCommand):
    help = (
        "Write synthetic TOP/SIDE pictures named {wire_id}_{VIEW}.png with a manifest.json of their boxes. "
        "Default: the reference distribution (86 wires; per view PASS 3, SWEEP 20, WOBBLE 29, TOUCH 34)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out_dir", type=Path)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--wires", type=int, help="Total wires, in the reference proportions.")
        for defect in DEFECTS:
            parser.add_argument(f"--{defect.lower()}", type=int, help=f"Number of {defect} wires (overrides --wires).")
        parser.add_argument("--image-size", type=int, default=synthetic.REFERENCE_SIZE, help="Side of each picture in pixels.")
        parser.add_argument("--import", dest="import_", action="store_true", help="Also add them to the library with their boxes.")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = {d: options[d.lower()] for d in DEFECTS if options[d.lower()] is not None}
        if problem := wires_problem(options["wires"]):
            raise CommandError(problem)
        for defect, count in counts.items():
            if count < 0:
                raise CommandError(f"--{defect.lower()} {count} is negative: give a number of wires, 0 or more.")
        if problem := image_size_problem(options["image_size"]):
            raise CommandError(problem)
        if options["out_dir"].exists() and not options["out_dir"].is_dir():
            raise CommandError(f"{options['out_dir']} is a file; give the folder to write the pictures into (it is created if missing).")
        if counts and options["import_"]:
            raise CommandError("--import takes the reference or --wires distribution; drop the per-class counts.")
        if options["import_"]:
            count = load_synthetic_dataset(
                options["out_dir"], wires=options["wires"], seed=options["seed"], image_size=options["image_size"]
            )
            self.stdout.write(self.style.SUCCESS(f"Generated and imported {count} pictures."))
            return
        if counts:
            plan = synthetic.plan_for_counts({d: counts.get(d, 0) for d in DEFECTS})
        elif options["wires"]:
            plan = synthetic.scaled_plan(options["wires"])
        else:
            plan = synthetic.reference_plan()
        samples = synthetic.generate(options["out_dir"], plan, seed=options["seed"], image_size=options["image_size"])
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(samples)} pictures to {options['out_dir']}."))
