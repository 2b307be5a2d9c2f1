"""``manage.py train view|detection|defect``: train one model on the annotated pictures, in this process.

``--folds N`` cross-validates the view or defect model's settings instead (as "Cross-validate in N
folds" on the Training page): N grouped folds, then the final model, and the out-of-fold table.

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

from core.data.dataset import InsufficientData, in_view_scope
from core.evaluation.contract import ModelMetrics
from core.labels import MODEL_TYPES
from core.training.config import PRESETS, ConfigError, load_config, parse_overrides, to_json
from core.training.layout import RESULT_FILE, TENSORBOARD_DIR
from training.models import RunStatus, TrainingRun
from training.snapshot import build_snapshot, missing_files_problem, snapshot_run_json
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
        parser.add_argument(
            "--folds",
            type=int,
            default=0,
            help="Cross-validate these settings in N folds grouped by wire (3-10; view or defect model), then train the final model.",
        )

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
            if problem := missing_files_problem(snapshot, then="run this command again"):  # else the run would fail on them
                raise CommandError(problem)
            folds = options["folds"]
            if folds:
                check_folds(model_type, [*snapshot.train, *snapshot.val], config.view_scope, folds, config.seed)
        except (ConfigError, InsufficientData, WeightsUnavailable) as error:
            raise CommandError(str(error)) from None
        for warning in snapshot.warnings:
            self.stderr.write(f"Warning: {warning}")
        run = TrainingRun.objects.create(
            model_type=model_type, config=to_json(config), dataset_snapshot=snapshot_run_json(snapshot), folds=folds
        )
        what = (
            f"cross-validating the {model_type} model's settings in {folds} folds, then training it"
            if folds
            else f"training the {model_type} model"
        )
        self.stdout.write(f"Run #{run.pk}: {what} on {len(snapshot.train)} + {len(snapshot.val)} pictures.")
        try:
            run_training(run.pk)
        except KeyboardInterrupt:
            raise CommandError(
                f"Run #{run.pk} was stopped (Ctrl+C) and is interrupted: resume it on its page to continue from its last "
                "checkpoint, or cancel it there.",
                returncode=130,
            ) from None
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
        if run.is_cross_validation:
            self.write_out_of_fold(run)
        self.stdout.write(f"Checkpoint: {run.checkpoint_file}")  # the file on this server, for the shell it runs in
        self.stdout.write(f"Report: {result.get('report_path', '')}")
        self.stdout.write(f"TensorBoard: {run_dir(run) / TENSORBOARD_DIR}")

    def write_out_of_fold(self, run: TrainingRun) -> None:
        """The out-of-fold table, as the run page shows it."""
        self.stdout.write(f"Out of fold ({run.folds} folds grouped by wire): mean, worst fold, best fold")

        def score(value: float | None) -> str:  # a class set no fold held has no score
            return "–" if value is None or value != value else f"{value:.3f}"

        for row in run.cross_validation_rows():
            self.stdout.write(f"  {row['name']}: {score(row['mean'])} ({score(row['fold_min'])} to {score(row['fold_max'])})")
        for interval in run.cross_validation_intervals():
            self.stdout.write(
                f"  {interval['name']}, all held-out wires pooled: {interval['estimate']:.3f}, 95 % of random redraws of the"
                f" {interval['wires']} wires between {interval['low']:.3f} and {interval['high']:.3f}"
            )
        recall = [f"{row['label']} {row['right']}/{row['support']}" for row in run.cross_validation_recall()]
        self.stdout.write("  Recall per box: " + ", ".join(recall))
        wires = [f"{row['label']} {row['wire'][0]}/{row['wire'][1]}" for row in run.cross_validation_recall() if row["wire"]]
        if wires:
            self.stdout.write("  Recall per wire: " + ", ".join(wires))
        for row in run.cross_validation_trust():
            self.stdout.write(
                f"  Wire verdicts at confidence {row['line']:.1f} or above: {row['sure_right']} of {row['sure']} right;"
                f" below: {row['unsure_right']} of {row['unsure']}"
            )


def check_folds(model_type: str, records: list[Any], view_scope: str, folds: int, seed: int) -> None:
    """Refuse, with the launch form's sentences, a cross-validation that cannot run."""
    from core.crossval import MAX_FOLDS, MIN_FOLDS, grouped_folds

    if model_type not in ("view", "defect"):
        raise CommandError("Cross-validation checks the settings of one classifier: choose the view or the defect model.")
    if not MIN_FOLDS <= folds <= MAX_FOLDS:
        raise CommandError(f"Cross-validation takes {MIN_FOLDS} to {MAX_FOLDS} folds, not {folds}.")
    grouped_folds(in_view_scope(records, view_scope), folds, seed)
