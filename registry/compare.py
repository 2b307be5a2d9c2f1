"""Side-by-side comparison of model versions: metrics, per-class recall, confusion, config, data.

Pure data shaping for the compare page; the first version given is the baseline the others are
measured against.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.labels import DEFECTS, VIEWS
from registry.models import ModelVersion
from registry.versions import lineage, pass_recall

SPLITS = ("train", "val")


@dataclass
class Row:
    label: str
    values: list[Any]
    differs: bool = False


@dataclass
class DatasetDiff:
    """How one version's data differs from the baseline's, per split."""

    name: str
    pictures: int
    sizes: dict[str, int] = field(default_factory=dict)
    added: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    revised: dict[str, int] = field(default_factory=dict)


@dataclass
class Comparison:
    versions: list[ModelVersion]
    metrics: list[Row]
    recall: list[Row]
    confusion: list[dict[str, Any]]
    config: list[Row]
    datasets: list[DatasetDiff]


def _scalar_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    return {key: float(value) for key, value in metrics.items() if isinstance(value, int | float) and not isinstance(value, bool)}


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


def class_labels(version: ModelVersion) -> list[str]:
    labels = version.metrics.get("labels")
    if isinstance(labels, list) and labels:
        return [str(label) for label in labels]
    return list(DEFECTS if version.model_type == "defect" else VIEWS)


def confusion_rows(version: ModelVersion) -> list[tuple[str, list[Any]]]:
    """The confusion matrix as (true class, counts per predicted class) rows."""
    matrix = version.metrics.get("confusion_matrix")
    if not isinstance(matrix, list):
        return []
    return list(zip(class_labels(version), matrix, strict=False))


def _snapshot_pairs(version: ModelVersion) -> dict[str, dict[int, int]]:
    """{split: {annotation_id: revision}} from the run's dataset snapshot."""
    snapshot = lineage(version)
    pairs: dict[str, dict[int, int]] = {}
    for split in SPLITS:
        entries = snapshot.get(split) or []
        pairs[split] = {int(entry[0]): int(entry[1]) for entry in entries if isinstance(entry, list | tuple) and len(entry) >= 2}
    return pairs


def compare(versions: Sequence[ModelVersion]) -> Comparison:
    chosen = list(versions)
    metrics = _rows([_scalar_metrics(version.metrics) for version in chosen])
    recall = _rows(
        [
            {name: values.get("recall") for name, values in (version.metrics.get("per_class") or {}).items() if isinstance(values, Mapping)}
            for version in chosen
        ]
    )
    confusion = [{"version": version, "labels": class_labels(version), "rows": confusion_rows(version)} for version in chosen]
    config = _rows([_flatten(version.config) for version in chosen])
    snapshots = [_snapshot_pairs(version) for version in chosen]
    baseline = snapshots[0] if snapshots else {}
    datasets = []
    for version, pairs in zip(chosen, snapshots, strict=True):
        diff = DatasetDiff(version.name, version.dataset_size)
        for split in SPLITS:
            mine, base = pairs[split], baseline.get(split, {})
            diff.sizes[split] = len(mine)
            diff.added[split] = len(mine.keys() - base.keys())
            diff.removed[split] = len(base.keys() - mine.keys())
            diff.revised[split] = sum(1 for key in mine.keys() & base.keys() if mine[key] != base[key])
        datasets.append(diff)
    return Comparison(chosen, metrics, recall, confusion, config, datasets)


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
        value = pass_recall(version.metrics) if key == "pass_recall" else version.metrics.get(key)
        values.append(float(value) if isinstance(value, int | float) else None)
    return values
