"""``manage.py train view|detection|defect``: train one model on the annotated pictures, in this process.

Thin on purpose: the configuration comes from ``core.training.config``, the
snapshot from ``training.snapshot``, and the run itself goes through the same
task the worker runs (claim, database sink, report, model registration), so a
command-line run looks like any other run in the web app.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.data.dataset import InsufficientData
from core.evaluation.contract import ModelMetrics
from core.labels import MODEL_TYPES
from core.training.config import PRESETS, ConfigError, load_config, parse_overrides, to_json
from core.training.layout import RESULT_FILE, TENSORBOARD_DIR
from training.models import RunStatus, TrainingRun
from training.snapshot import build_snapshot, snapshot_run_json
from training.weights_sources import WeightsUnavailable, starting_weights


class Command(BaseCommand):
    help = "Train the view, detection or defect model on the annotated pictures and register the result."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("model_type", choices=MODEL_TYPES)
        parser.add_argument("--preset", choices=list(PRESETS), default="full", help="full (GPU defaults) or cpu-quick.")
        parser.add_argument("--config", type=Path, help="A YAML file of settings (see configs/).")
        parser.add_argument("--epochs", type=int, help="Shortcut for --set epochs=N.")
        parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help="Override a setting.")
        parser.add_argument("--group-by-lot", action="store_true", help="Keep each lot/folder on one side of the split.")

    def handle(self, *args: Any, **options: Any) -> None:
        from training.tasks import run_dir, run_training

        model_type = options["model_type"]
        try:
            overrides = parse_overrides(options["overrides"])
            if options["epochs"] is not None:
                overrides["epochs"] = str(options["epochs"])
            config = load_config(model_type, options["preset"], options["config"], overrides)
            if config.weights:
                starting_weights(config.weights, model_type)  # a store file that fits; the trainer checks its checksum
            snapshot = build_snapshot(
                val_fraction=config.val_fraction, seed=config.seed, group_by_lot=options["group_by_lot"], model_type=model_type
            )
        except (ConfigError, InsufficientData, WeightsUnavailable) as error:
            raise CommandError(str(error)) from None
        for warning in snapshot.warnings:
            self.stderr.write(f"Warning: {warning}")
        run = TrainingRun.objects.create(model_type=model_type, config=to_json(config), dataset_snapshot=snapshot_run_json(snapshot))
        self.stdout.write(f"Run #{run.pk}: training the {model_type} model on {len(snapshot.train)} + {len(snapshot.val)} pictures.")
        try:
            run_training(run.pk)
        except Exception as error:
            run.refresh_from_db()  # the task stored the sentence and the traceback on the run
            raise CommandError(f"Run #{run.pk} failed: {run.error or error}") from error
        run.refresh_from_db()
        if run.status != RunStatus.SUCCEEDED:
            raise CommandError(f"Run #{run.pk} ended {run.status}: {run.error or 'see the run page for its log.'}")
        result_file = run_dir(run) / RESULT_FILE
        result = json.loads(result_file.read_text()) if result_file.exists() else {}
        metrics = ", ".join(f"{k} {v:.3f}" for k, v in ModelMetrics.from_json(result.get("metrics")).scalars.items())
        self.stdout.write(self.style.SUCCESS(f"Run #{run.pk} succeeded on {run.device}: {metrics}"))
        self.stdout.write(f"Checkpoint: {run.checkpoint_path}")
        self.stdout.write(f"Report: {result.get('report_path', '')}")
        self.stdout.write(f"TensorBoard: {run_dir(run) / TENSORBOARD_DIR}")
