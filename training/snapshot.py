"""The Django side of dataset snapshots: records from the database, JSON for the run row.

The split itself is plain Python (``core.data.dataset``); this module
only reads pictures and their trainable boxes (``Annotation.objects.for_training()``)
and stores the result on ``TrainingRun.dataset_snapshot``, so a run can always
say which annotation revisions it learned from and be prepared again.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from annotations.models import Annotation, Image
from core.data.dataset import SPLITS, BoxRecord, ImageRecord, Snapshot, dataset_statistics, split_records


def image_records(images: QuerySet[Image] | None = None, group_by_lot: bool = False) -> list[ImageRecord]:
    """Records of the pictures that have at least one trainable box, in id order.

    ``group_by_lot`` keeps each ``wire_group`` (folder, lot, batch) on one side
    of the split; otherwise only the two views of a wire stay together.
    """
    queryset = (images if images is not None else Image.objects.all()).order_by("id")
    trainable = Prefetch("annotations", queryset=Annotation.objects.for_training().order_by("id"), to_attr="trainable_boxes")
    records = []
    for image in queryset.prefetch_related(trainable):
        if not image.trainable_boxes:
            continue
        boxes = tuple(
            BoxRecord(a.x, a.y, a.width, a.height, a.view, a.defect, annotation_id=a.pk, revision=a.revision) for a in image.trainable_boxes
        )
        records.append(
            ImageRecord(
                path=image.file.path,
                width=image.width,
                height=image.height,
                wire_key=image.wire_key,
                view=image.view or None,
                boxes=boxes,
                image_id=image.pk,
                lot=image.wire_group if group_by_lot else "",
                name=image.original_name,
            )
        )
    return records


def build_snapshot(
    images: QuerySet[Image] | None = None,
    val_fraction: float = 0.2,
    seed: int = 0,
    min_samples_per_class: int | None = None,
    group_by_lot: bool = False,
    model_type: str = "defect",
) -> Snapshot:
    """Split the trainable pictures for ``model_type``; raises ``InsufficientData`` when a class it learns has too few wires."""
    minimum = settings.MIN_SAMPLES_PER_CLASS if min_samples_per_class is None else min_samples_per_class
    classes: Literal["defect", "view", "none"] = "none" if model_type == "detection" else "view" if model_type == "view" else "defect"
    records = image_records(images, group_by_lot)
    return split_records(records, val_fraction=val_fraction, seed=seed, min_samples_per_class=minimum, classes=classes)


def pictures_without_file(snapshot: Snapshot) -> list[ImageRecord]:
    """The snapshot's pictures whose file is not in the data folder (a restore whose ``media/`` is older than the database).

    One walk of the pictures' folder answers for all of them (no stat() per picture); a picture the walk did not find
    is looked up by itself, in case its path lies elsewhere.
    """
    root = Image._meta.get_field("file").storage.path("images")
    present = {os.path.join(directory, name) for directory, _, names in os.walk(root) for name in names}
    records = [record for split in SPLITS for record in snapshot.split(split)]
    return [record for record in records if record.path not in present and not Path(record.path).is_file()]


def missing_files_problem(snapshot: Snapshot, then: str = "launch again") -> str:
    """Why the snapshot cannot be trained on because some of its pictures have no file, naming the first ones; or "".

    ``then`` ends the sentence: what to do once the files are back (the command line says "run this command again").
    """
    from core.data.prepare import MISSING_NAMED  # as many as the worker names (its module loads OpenCV: not at import)

    missing = pictures_without_file(snapshot)
    if not missing:
        return ""
    named = ", ".join(f"{record.name or Path(record.path).name} (wire {record.wire_key})" for record in missing[:MISSING_NAMED])
    more = f" and {len(missing) - MISSING_NAMED} more" if len(missing) > MISSING_NAMED else ""
    count = "1 picture has" if len(missing) == 1 else f"{len(missing)} pictures have"
    return (
        f"{count} no file in the data folder: {named}{more} (restored from an older backup than the database?). Nothing "
        "was queued. Copy the files back from the backup, or delete those pictures in the library (its Files missing filter "
        f"lists them), then {then}."
    )


def snapshot_run_json(snapshot: Snapshot) -> dict[str, Any]:
    """``TrainingRun.dataset_snapshot``: annotation ``[id, revision]`` per split, plus the full records."""
    revisions = {
        split: sorted([b.annotation_id, b.revision] for r in snapshot.split(split) for b in r.boxes if b.annotation_id is not None)
        for split in SPLITS
    }
    return {
        **revisions,
        "seed": snapshot.seed,
        "val_fraction": snapshot.val_fraction,
        "warnings": list(snapshot.warnings),
        "fingerprint": snapshot.fingerprint(),
        "statistics": dataset_statistics(snapshot),
        "records": snapshot.to_json(),
    }


#: Picture ids looked up per query (SQLite builds allow 999 or 32,766 variables in one).
PICTURES_PER_QUERY = 500


def snapshot_from_run_json(data: dict[str, Any]) -> Snapshot:
    """The frozen snapshot stored on a run (for resuming or re-preparing it), its pictures where the library keeps them now.

    A record stores its picture's absolute path, which names the data folder of the day the run was launched; after a
    restore into another folder (or a move of the folder's parent) nothing is left there. A picture's file never changes
    (it is named by its content hash), so a record of a picture still in the library reads it at its current path; a
    deleted picture's record keeps its old path, and the trainer says that picture was deleted.
    """
    snapshot = Snapshot.from_json(data["records"])
    ids = sorted({record.image_id for split in SPLITS for record in snapshot.split(split) if record.image_id is not None})
    storage = Image._meta.get_field("file").storage
    paths: dict[int, str] = {}
    for start in range(0, len(ids), PICTURES_PER_QUERY):
        for pk, name in Image.objects.filter(pk__in=ids[start : start + PICTURES_PER_QUERY]).values_list("pk", "file"):
            paths[pk] = storage.path(name)

    def current(records: tuple[ImageRecord, ...]) -> tuple[ImageRecord, ...]:
        return tuple(replace(r, path=paths.get(r.image_id, r.path)) if r.image_id is not None else r for r in records)

    return replace(snapshot, train=current(snapshot.train), val=current(snapshot.val))
