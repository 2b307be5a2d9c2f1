"""Cross-validate a classifier's settings on the user's own annotations: k folds grouped by wire.

With a few dozen wires one 80/20 split says little (its validation set holds zero or one
PASS wire), so this trains the same settings k times, each time holding out one fold of
wires (stratified by the wire's worst defect; both views of a wire, or a whole lot, stay
in one fold), and predicts every held-out box with the product's own inference code
(``core.inspection.inference.Classifier``, the annotated boxes cropped as in
inspection). Every wire is predicted once, by a model that never saw it. The defect
model's wire verdict is the product's ``evidence`` rule over the wire's boxes. The
scores are ``core.evaluation.outoffold``'s, the same tables the real-data benchmark prints.

Each fold trains with ``core.training.runner.train`` in ``run_dir/fold-N`` (its own
TensorBoard files and report); the defect model's linear classifier is not refitted
on the held-out fold (``shape_refit`` off), and a finished fold is kept, so a paused or
interrupted cross-validation resumes at the fold it stopped in. The app then trains the
final model on the usual split of all wires and registers it with this table beside its own
validation scores (``training.tasks``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.data.dataset import ImageRecord, InsufficientData, Snapshot, in_view_scope
from core.evaluation.outoffold import FoldOutcome, summarise
from core.jsonfile import write_atomically
from core.labels import DEFECTS, SEVERITY, VIEWS, classifier_task
from core.training.config import AnyConfig, DefectConfig, DetectionConfig
from core.training.events import EpochEvent, ProgressEvent, StopKind, StopRequested, TrainingSink
from core.training.startweights import StartingWeights

#: The file a finished cross-validation leaves in its folder, and each fold's outcome.
SUMMARY_FILE = "crossval.json"
OUTCOME_FILE = "outcome.json"
MIN_FOLDS, MAX_FOLDS = 3, 10


class FoldFailed(Exception):
    """Fold ``fold`` of ``k`` raised ``error`` (its training or its prediction): the job says which fold failed."""

    def __init__(self, fold: int, k: int, error: Exception) -> None:
        super().__init__(f"Fold {fold} of {k}: {error}")
        self.fold, self.k, self.error = fold, k, error


def grouped_folds(records: Sequence[ImageRecord], k: int, seed: int) -> list[tuple[tuple[ImageRecord, ...], tuple[ImageRecord, ...]]]:
    """``(training, held out)`` records of each of ``k`` folds, grouped by wire (or lot), stratified by worst defect."""
    from sklearn.model_selection import StratifiedGroupKFold

    if not MIN_FOLDS <= k <= MAX_FOLDS:
        raise ValueError(f"Cross-validation takes {MIN_FOLDS} to {MAX_FOLDS} folds, not {k}.")
    annotated = [record for record in records if record.boxes]
    groups = sorted({record.group for record in annotated})
    if len(groups) < k:
        raise InsufficientData(f"{k}-fold cross-validation needs at least {k} annotated wires; there are {len(groups)}.")
    worst: dict[str, str] = {}
    for record in annotated:
        defect = record.worst_defect or DEFECTS[0]
        previous = worst.get(record.group)
        worst[record.group] = defect if previous is None else max(previous, defect, key=SEVERITY.__getitem__)
    labels = [worst[group] for group in groups]
    largest = max(labels.count(label) for label in set(labels))
    if largest < k:
        raise InsufficientData(
            f"{k}-fold cross-validation needs at least {k} wires of one class to spread over the folds; the largest class "
            f"has {largest}. Choose {max(largest, MIN_FOLDS)} folds or annotate more wires."
            if largest >= MIN_FOLDS
            else f"Cross-validation needs at least {MIN_FOLDS} wires of one class to spread over the folds; the largest class has "
            f"{largest}. Annotate more wires."
        )
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    with warnings.catch_warnings():  # a class of fewer than k wires (PASS) is expected: it lands in fewer folds, said on the page
        warnings.filterwarnings("ignore", "The least populated class", UserWarning)
        splits = list(splitter.split(groups, labels, groups=groups))
    folds = []
    for _, held in splits:
        held_groups = {groups[i] for i in held}
        folds.append(
            (
                tuple(r for r in annotated if r.group not in held_groups),
                tuple(r for r in annotated if r.group in held_groups),
            )
        )
    return folds


class SegmentSink:
    """One training of a longer job (a fold, the final model): epochs counted on across the job, logs named."""

    def __init__(self, sink: TrainingSink, offset: int, total: int, name: str) -> None:
        self.sink, self.offset, self.total, self.name = sink, offset, total, name

    def on_epoch(self, event: EpochEvent) -> None:
        self.sink.on_epoch(dataclasses.replace(event, epoch=self.offset + event.epoch, epochs=self.total, eta_seconds=None))

    def on_progress(self, event: ProgressEvent) -> None:
        self.sink.on_progress(dataclasses.replace(event, epoch=self.offset + event.epoch, epochs=self.total))

    def on_log(self, level: str, message: str) -> None:
        self.sink.on_log(level, f"{self.name}: {message}")

    def stop_requested(self) -> StopKind | None:
        return self.sink.stop_requested()


def predict_held_out(checkpoint: Path, model_type: str, held_out: Sequence[ImageRecord], fold: int, seed: int) -> FoldOutcome:
    """Every held-out annotated box through the stored model as inspection runs it; wires by the evidence rule."""
    import torch

    from core.data.prepare import read_record
    from core.inspection.inference import Classifier
    from core.inspection.verdicts import combine_evidence

    task = classifier_task(model_type)
    classifier = Classifier(checkpoint, torch.device("cpu"), task)
    order = DEFECTS if task == "defect" else VIEWS
    outcome = FoldOutcome(fold=fold, seed=seed)
    wire_truth: dict[str, str] = {}
    wire_rows: dict[str, list[np.ndarray]] = {}
    for record in held_out:
        picture = read_record(record)  # a lost picture is said by its library name, not its stored path
        corners = np.array([[b.x, b.y, b.x + b.width, b.y + b.height] for b in record.boxes], dtype=np.float64)
        views: list[str | None] = [b.view for b in record.boxes]
        rows = classifier.in_order(classifier.probabilities(classifier.crops(picture, corners, views), views), order)
        for box, row in zip(record.boxes, rows, strict=True):
            truth = box.defect if task == "defect" else box.view
            outcome.picture_truth.append(truth)
            outcome.picture_predicted.append(order[int(row.argmax())])
            if task == "defect":  # a wire's truth is its worst box, its verdict the evidence of all its boxes
                known = wire_truth.get(record.wire_key, box.defect)
                wire_truth[record.wire_key] = max(known, box.defect, key=SEVERITY.__getitem__)
                wire_rows.setdefault(record.wire_key, []).append(row)
    for key in sorted(wire_truth):
        outcome.wire_ids.append(key)
        outcome.wire_truth.append(wire_truth[key])
        combined = combine_evidence([list(map(float, row)) for row in wire_rows[key]])
        outcome.wire_predicted.append(DEFECTS[int(np.argmax(combined))])
        outcome.wire_confidence.append(float(max(combined)))
    return outcome


def fold_snapshots(config: AnyConfig, records: Sequence[ImageRecord], k: int) -> list[Snapshot]:
    """Each fold's split: train on the other folds' wires, validate on (and predict) its own."""
    # A per-view model trains on its view's crops (``core.training.runner``): its held-out wires are judged on them too.
    folds = grouped_folds(in_view_scope(records, config.view_scope), k, config.seed)
    return [Snapshot(train=training, val=held_out, seed=config.seed, val_fraction=1 / k) for training, held_out in folds]


def _fold_config(config: AnyConfig) -> AnyConfig:
    """A fold's settings: the defect model's linear classifier is not refitted on the held-out fold."""
    return dataclasses.replace(config, shape_refit=False) if isinstance(config, DefectConfig) else config


def fold_dataset_folders(model_type: str, config: AnyConfig, records: Sequence[ImageRecord], k: int, datasets_dir: Path) -> list[Path]:
    """The prepared data sets the folds train on (``core.training.runner.prepare``), whether prepared yet or not."""
    from core.training.runner import dataset_folder

    return [dataset_folder(model_type, _fold_config(config), snapshot, datasets_dir) for snapshot in fold_snapshots(config, records, k)]


def cross_validate(
    model_type: str,
    config: AnyConfig,
    records: Sequence[ImageRecord],
    k: int,
    run_dir: Path,
    sink: TrainingSink,
    datasets_dir: Path | None = None,
    data_dir: Path | None = None,
    epochs_after: int = 0,
    starting_weights: StartingWeights | None = None,
) -> dict[str, Any]:
    """Train ``k`` grouped folds with ``config`` and return the out-of-fold summary (also written to ``run_dir``).

    ``epochs_after``: epochs the caller trains once the folds are done (the final model), so
    the epoch count the job reports covers the whole job. ``starting_weights``: the store file the
    configuration's ``weights`` names, which every fold starts from (see ``core.training.runner.train``).
    """
    from core.training.runner import train

    if isinstance(config, DetectionConfig) or model_type == "detection":
        raise ValueError("Cross-validation is offered for the view and defect classifiers; the detector is measured by its validation mAP.")
    run_dir = Path(run_dir)
    fold_config = _fold_config(config)
    outcomes: list[FoldOutcome] = []
    for fold, snapshot in enumerate(fold_snapshots(config, records, k)):
        training, held_out = snapshot.train, snapshot.val
        folder = run_dir / f"fold-{fold + 1}"
        done = folder / OUTCOME_FILE
        if done.is_file():
            outcomes.append(FoldOutcome.from_json(json.loads(done.read_text())))
            continue
        wires = len({r.group for r in held_out})
        sink.on_log("INFO", f"Fold {fold + 1} of {k}: training on {len(training)} pictures, holding out {wires} wires.")
        try:
            result = train(
                model_type,
                fold_config,
                snapshot,
                folder,
                SegmentSink(sink, fold * config.epochs, k * config.epochs + epochs_after, f"Fold {fold + 1} of {k}"),
                resume=any(folder.glob("**/last.pt")),
                datasets_dir=datasets_dir,
                data_dir=data_dir,
                starting_weights=starting_weights,
            )
            outcome = predict_held_out(result.best_checkpoint, model_type, held_out, fold, config.seed)
        except StopRequested as stop:
            raise StopRequested(stop.kind, fold * config.epochs + stop.epoch, f"fold {fold + 1} of {k}", stop.epoch) from None
        except Exception as error:
            raise FoldFailed(fold + 1, k, error) from error
        write_atomically(done, outcome.to_json())
        # The fold is finished for good (a resume reads its outcome): its resume checkpoint (weights, optimiser state,
        # three times the model) would only fill the disk, k times per job. Its best.pt stays, for a look.
        result.last_checkpoint.unlink(missing_ok=True)
        outcomes.append(outcome)
        labels = DEFECTS if model_type == "defect" else VIEWS
        scores = outcome.scores(labels)
        key = "wire_bacc" if "wire_bacc" in scores else "picture_bacc"
        sink.on_log("INFO", f"Fold {fold + 1} of {k}: out-of-fold balanced accuracy {scores[key]:.3f} on {wires} wires.")
    labels = DEFECTS if model_type == "defect" else VIEWS
    scored = summarise(outcomes, labels, DEFECTS[1:] if model_type == "defect" else ())
    summary: dict[str, Any] = _without_nan({**scored, "model_type": model_type, "k": k, "seed": config.seed})
    write_atomically(run_dir / SUMMARY_FILE, summary)
    return summary


def _without_nan(value: Any) -> Any:
    """``value`` with each NaN as None: a score with nothing to score (a fold that held out no wire of SWEEP, WOBBLE or
    TOUCH) is not a number, and JSON, so the database column that keeps the table, has no NaN."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _without_nan(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nan(item) for item in value]
    return value
