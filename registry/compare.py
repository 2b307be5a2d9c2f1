"""Side-by-side comparison of model versions: metrics, per-class recall, confusion, config, data.

Pure data shaping for the compare page; the first version given is the baseline the others are
measured against.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from registry.models import ModelVersion
from registry.versions import lineage

SPLITS = ("train", "val")
#: The most versions one comparison shows side by side; each brings every (annotation id, revision) pair it learned from,
#: read one version at a time next to the baseline's.
COMPARE_MAX_VERSIONS = 10


@dataclass
class Row:
    label: str
    values: list[Any]
    differs: bool = False


@dataclass
class DatasetDiff:
    """How one version's data differs from the baseline's, per split (none when either has no dataset snapshot)."""

    name: str
    pictures: int
    sizes: dict[str, int] = field(default_factory=dict)
    added: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    revised: dict[str, int] = field(default_factory=dict)
    #: Why the version has no dataset snapshot (its run deleted, or none registered it); "" when it has one.
    no_snapshot: str = ""


@dataclass
class Comparison:
    versions: list[ModelVersion]
    metrics: list[Row]
    recall: list[Row]
    confusion: list[dict[str, Any]]
    config: list[Row]
    datasets: list[DatasetDiff]
    #: The baseline has no dataset snapshot, so no version is measured against it.
    baseline_without_snapshot: bool = False


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _rows(per_version: list[dict[str, Any]]) -> list[Row]:
    keys = sorted({key for values in per_version for key in values})
    rows = []
    for key in keys:
        values = [values.get(key) for values in per_version]
        rows.append(Row(key, values, differs=len({repr(value) for value in values}) > 1))
    return rows


def _snapshot_pairs(version: ModelVersion) -> dict[str, dict[int, int]] | None:
    """{split: {annotation_id: revision}} from the run's dataset snapshot, None without one; raises ``LineageUnreadable``
    for a damaged one."""
    snapshot = lineage(version)
    if not snapshot:
        return None
    return {split: {annotation_id: revision for annotation_id, revision in snapshot.get(split, [])} for split in SPLITS}


def compare(versions: Sequence[ModelVersion]) -> Comparison:
    chosen = list(versions)
    scores = [version.scores for version in chosen]
    metrics = _rows([dict(s.scalars) for s in scores])
    recall = _rows([s.recall_by_class() for s in scores])
    confusion = [
        {"version": version, "labels": version.class_labels(), "rows": version_scores.confusion_rows()}
        for version, version_scores in zip(chosen, scores, strict=True)
    ]
    config = _rows([_flatten(version.config) for version in chosen])
    # One version's pairs at a time next to the baseline's (up to a million each): never all ten versions' at once.
    baseline = _snapshot_pairs(chosen[0]) if chosen else None
    datasets = []
    for index, version in enumerate(chosen):
        pairs = baseline if index == 0 else _snapshot_pairs(version)
        diff = DatasetDiff(version.name, version.dataset_size)
        datasets.append(diff)
        if pairs is None:  # not "learned from nothing": what it learned from is not recorded (any more)
            diff.no_snapshot = version.no_snapshot_sentence()
            continue
        diff.sizes = {split: len(pairs[split]) for split in SPLITS}
        if baseline is None:
            continue
        for split in SPLITS:
            mine, base = pairs[split], baseline[split]
            diff.added[split] = len(mine.keys() - base.keys())
            diff.removed[split] = len(base.keys() - mine.keys())
            diff.revised[split] = sum(1 for key in mine.keys() & base.keys() if mine[key] != base[key])
        del pairs  # before the next version's are read
    return Comparison(chosen, metrics, recall, confusion, config, datasets, baseline_without_snapshot=bool(chosen) and baseline is None)


#: The few numbers shown in the version lists, per type: (metrics key, column heading).
KEY_METRICS: dict[str, list[tuple[str, str]]] = {
    "defect": [("balanced_accuracy", "Balanced acc."), ("pass_recall", "PASS recall"), ("accuracy", "Accuracy")],
    "view": [("accuracy", "Accuracy"), ("balanced_accuracy", "Balanced acc.")],
    "detection": [("mAP50", "mAP50"), ("mAP50-95", "mAP50-95"), ("precision", "Precision"), ("recall", "Recall")],
}


def key_metrics(version: ModelVersion) -> list[float | None]:
    """The values of :data:`KEY_METRICS` for one version (PASS recall read as the gate reads it)."""
    values: list[float | None] = []
    for key, _ in KEY_METRICS[version.model_type]:
        scores = version.scores
        values.append(scores.pass_recall if key == "pass_recall" else scores.scalars.get(key))
    return values
