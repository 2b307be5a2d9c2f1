"""What a model learns from: frozen records, a leak-free split, statistics.

A ``Snapshot`` is the exact list of pictures and box revisions of one run,
split into training and validation. It is plain data (JSON in and out), so a
run can always say what it learned from and a prepared folder can be reused
when nothing changed (``fingerprint``).

The split is grouped: both views of a wire (or, when given, a whole lot) land
on one side, otherwise validation measures memory rather than skill. Groups are
stratified by the rarest defect among their boxes (their only one when all boxes agree),
and their order within a class comes from a hash of (seed, group), so the same seed
gives the same split and adding a wire does not reshuffle the others.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from core.data.weights import class_weights
from core.labels import DEFECTS, SEVERITY, VIEWS

SPLITS: tuple[str, ...] = ("train", "val")


class InsufficientData(ValueError):
    """Too few annotated wires of a class to train and validate; the message names the class and the count."""


@dataclass(frozen=True)
class BoxRecord:
    """One box in pixels (top-left corner), with the annotation revision it came from."""

    x: float
    y: float
    width: float
    height: float
    view: str
    defect: str
    annotation_id: int | None = None
    revision: int = 1


@dataclass(frozen=True)
class ImageRecord:
    """One picture on disk and its boxes; ``wire_key`` is the wire's identity (group + id)."""

    path: str
    width: int
    height: int
    wire_key: str
    view: str | None
    boxes: tuple[BoxRecord, ...]
    image_id: int | None = None
    lot: str = ""
    #: The picture's name in the library (for sentences; the stored file is named by its content hash).
    name: str = ""

    @property
    def group(self) -> str:
        """What must stay on one side of the split: the lot when given, else the wire."""
        return f"lot:{self.lot}" if self.lot else f"wire:{self.wire_key}"

    @property
    def worst_defect(self) -> str | None:
        if not self.boxes:
            return None
        return max((b.defect for b in self.boxes), key=SEVERITY.__getitem__)

    @property
    def picture_view(self) -> str | None:
        """The picture's view, or the view of its first box when the name did not say."""
        if self.view:
            return self.view
        return self.boxes[0].view if self.boxes else None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "boxes": [asdict(b) for b in self.boxes]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ImageRecord:
        return cls(**{**data, "boxes": tuple(BoxRecord(**b) for b in data["boxes"])})


@dataclass(frozen=True)
class Snapshot:
    """A frozen training/validation split of image records."""

    train: tuple[ImageRecord, ...]
    val: tuple[ImageRecord, ...]
    seed: int
    val_fraction: float
    warnings: tuple[str, ...] = field(default=())

    def split(self, name: str) -> tuple[ImageRecord, ...]:
        if name not in SPLITS:
            raise ValueError(f"Unknown split {name!r}; expected train or val.")
        return self.train if name == "train" else self.val

    def fingerprint(self) -> str:
        """sha256 of the content: equal for an unchanged snapshot, used to reuse prepared folders."""
        content = {k: v for k, v in self.to_json().items() if k != "warnings"}
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "val_fraction": self.val_fraction,
            "warnings": list(self.warnings),
            "train": [r.to_json() for r in self.train],
            "val": [r.to_json() for r in self.val],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Snapshot:
        return cls(
            train=tuple(ImageRecord.from_json(r) for r in data["train"]),
            val=tuple(ImageRecord.from_json(r) for r in data["val"]),
            seed=int(data["seed"]),
            val_fraction=float(data["val_fraction"]),
            warnings=tuple(data.get("warnings", ())),
        )


def _order_key(seed: int, group: str) -> str:
    return hashlib.sha256(f"{seed}\x00{group}".encode()).hexdigest()


def _validation_size(n_groups: int, val_fraction: float) -> int:
    """Round to the nearest count, but keep one group on each side when there are two or more."""
    if n_groups < 2 or val_fraction <= 0:
        return 0
    return min(max(round(n_groups * val_fraction), 1), n_groups - 1)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def in_view_scope(records: Iterable[ImageRecord], view_scope: str) -> list[ImageRecord]:
    """The pictures a per-view model (``view_scope`` TOP or SIDE) learns from and is judged on; all for ``all``."""
    return [record for record in records if view_scope == "all" or record.picture_view == view_scope]


def split_records(
    records: Iterable[ImageRecord],
    val_fraction: float = 0.2,
    seed: int = 0,
    min_samples_per_class: int = 2,
    classes: Literal["defect", "view", "none"] = "defect",
) -> Snapshot:
    """Split records into training and validation, grouped by wire (or lot) and stratified by defect.

    A group's class is the rarest defect of its boxes (fewest groups hold it): a picture holds several loops, and a
    PASS loop beside defective ones must still reach validation. A class counts every group holding a box of it.
    ``classes`` names what the model learns: for ``defect`` a class with fewer than ``min_samples_per_class`` groups raises
    ``InsufficientData`` (0 switches the check off), and a class with a single group goes to
    training with a warning; for ``view`` the same minimum applies to the wires with TOP and
    with SIDE boxes and nothing is said about defect classes; ``none`` (the detector) checks
    no class. Pictures with one view only, or without boxes, are kept.
    """
    if not 0 <= val_fraction < 1:
        raise ValueError("The validation fraction must be at least 0 and below 1.")
    groups: dict[str, list[ImageRecord]] = {}
    for record in records:
        groups.setdefault(record.group, []).append(record)
    if not any(record.boxes for members in groups.values() for record in members):
        raise InsufficientData(
            "There are no annotated pictures to train on. Upload and annotate pictures, or import annotations, then train again."
        )
    held = {key: {box.defect for member in members for box in member.boxes} for key, members in groups.items()}
    holders = Counter(defect for defects in held.values() for defect in defects)
    by_class: dict[str | None, list[str]] = {}
    for key, defects in held.items():
        label = min(defects, key=lambda defect: (holders[defect], -SEVERITY[defect])) if defects else None
        by_class.setdefault(label, []).append(key)

    unit = "lot" if any(key.startswith("lot:") for key in groups) else "wire"
    if classes == "view" and min_samples_per_class > 0:
        for view in VIEWS:
            n = sum(1 for members in groups.values() if any(b.view == view for m in members for b in m.boxes))
            if n < min_samples_per_class:
                raise InsufficientData(
                    f"{_plural(n, unit).capitalize()} {'has' if n == 1 else 'have'} {view} boxes; the view model needs at least "
                    f"{min_samples_per_class} with TOP and with SIDE boxes. Annotate more {view} pictures."
                )
    if classes == "defect" and min_samples_per_class > 0:
        for defect in DEFECTS:
            n = holders[defect]
            if n < min_samples_per_class:
                raise InsufficientData(
                    f"{defect} has {_plural(n, unit)}; at least {min_samples_per_class} are needed to validate it. "
                    f"Annotate more {defect} wires or lower the minimum samples per class."
                )

    warnings: list[str] = []
    val_groups: set[str] = set()
    # A group is stratified by one of its defects, but it takes all of them to validation: it stays in training when
    # it holds the last training group of another (PASS loops only beside defective ones, all sent to validation).
    in_training = Counter(holders)
    for label in [*DEFECTS, None]:
        keys = sorted(by_class.get(label, []), key=lambda k: _order_key(seed, k))
        # The split is stratified by defect for every model; only the defect model is told about its classes.
        if classes == "defect" and label is not None and holders[label] == 1 and val_fraction > 0:
            warnings.append(
                f"{label} has only 1 {unit}: it is used for training only, so validation cannot measure {label}. "
                f"Annotate at least one more {label} wire."
            )
        if classes == "defect" and label is not None and not holders[label]:
            warnings.append(f"{label} has no annotated {unit}s: the defect model cannot learn it.")
        wanted = _validation_size(len(keys), val_fraction)
        for key in keys:
            if not wanted:
                break
            if any(in_training[defect] <= 1 for defect in held[key]):
                continue
            val_groups.add(key)
            in_training.subtract(held[key])
            wanted -= 1

    def ordered(selected: Iterable[str]) -> tuple[ImageRecord, ...]:
        return tuple(r for key in sorted(selected) for r in sorted(groups[key], key=lambda r: r.path))

    return Snapshot(
        train=ordered(k for k in groups if k not in val_groups),
        val=ordered(val_groups),
        seed=seed,
        val_fraction=val_fraction,
        warnings=tuple(warnings),
    )


def records_from_synthetic(samples: Iterable[Any], lot: str = "") -> list[ImageRecord]:
    """Image records from ``core.data.synthetic`` samples (one box each)."""
    records = []
    for sample in samples:
        x, y, w, h = sample.box
        records.append(
            ImageRecord(
                path=str(sample.path),
                width=int(sample.size[0]),
                height=int(sample.size[1]),
                wire_key=sample.wire_id,
                view=sample.view,
                boxes=(BoxRecord(float(x), float(y), float(w), float(h), sample.view, sample.defect),),
                lot=lot,
            )
        )
    return records


def box_counts(records: Sequence[ImageRecord], task: str) -> list[int]:
    """Boxes per class in class order (DEFECTS for "defect", VIEWS for "view")."""
    classes = DEFECTS if task == "defect" else VIEWS
    counter = Counter(b.defect if task == "defect" else b.view for r in records for b in r.boxes)
    return [counter.get(c, 0) for c in classes]


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    return {"min": ordered[0], "mean": round(sum(ordered) / len(ordered), 1), "max": ordered[-1]}


def dataset_statistics(snapshot: Snapshot) -> dict[str, Any]:
    """Counts per split x view x defect, box sizes and the class weights training will use."""
    stats: dict[str, Any] = {"splits": {}, "warnings": list(snapshot.warnings), "fingerprint": snapshot.fingerprint()}
    for name in SPLITS:
        records = snapshot.split(name)
        table = {view: dict.fromkeys(DEFECTS, 0) for view in VIEWS}
        for box in (b for r in records for b in r.boxes):
            table[box.view][box.defect] += 1
        stats["splits"][name] = {
            "pictures": len(records),
            "wires": len({r.wire_key for r in records}),
            "pictures_without_partner": _single_view_count(records),
            "boxes": table,
            "box_width": _summary([b.width for r in records for b in r.boxes]),
            "box_height": _summary([b.height for r in records for b in r.boxes]),
        }
    stats["class_weights"] = {
        "defect": dict(zip(DEFECTS, class_weights(box_counts(snapshot.train, "defect")), strict=True)),
        "view": dict(zip(VIEWS, class_weights(box_counts(snapshot.train, "view")), strict=True)),
    }
    return stats


def _single_view_count(records: Sequence[ImageRecord]) -> int:
    views_per_wire: dict[str, set[str | None]] = {}
    for record in records:
        views_per_wire.setdefault(record.wire_key, set()).add(record.picture_view)
    return sum(1 for r in records if len(views_per_wire[r.wire_key]) < 2)
