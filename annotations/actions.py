"""Writes that span a picture, its boxes and their history, each in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F

from accounts.users import Actor, recorded_user
from annotations.choices import ReviewState, Source
from annotations.models import Annotation, AnnotationChange, Image, box_errors
from core.labels import DEFECTS, VIEWS, defect_label, view_label

BOX_FIELDS = ("x", "y", "width", "height", "view", "defect")
#: A save writes every box and its history in one transaction, holding the database's write lock:
#: 20,000 boxes held it for 12 s. A real picture has a handful of wires.
MAX_BOXES_PER_PICTURE = 500


class StaleRevision(Exception):
    """The save was based on an older revision of the picture's boxes."""

    def __init__(self, image: Image) -> None:
        from annotations.models import AnnotationChange

        latest = AnnotationChange.objects.filter(image=image).select_related("user").order_by("-at", "-pk").first()
        #: Who saved the version on the server, and when (None when the history does not say).
        self.saved_by = latest.user.get_username() if latest is not None and latest.user is not None else None
        self.saved_at = latest.at if latest is not None else None
        when = f" at {self.saved_at:%H:%M} on {self.saved_at:%Y-%m-%d} (UTC)" if self.saved_at else ""
        super().__init__(
            f"{_who_changed(latest, self.saved_by)}{when}, after you opened it (now at revision {image.annotation_revision}). "
            "Compare both versions and choose which to keep; keeping both loses nothing."
        )
        self.image = image


def _who_changed(latest: AnnotationChange | None, saved_by: str | None) -> str:
    """Who or what changed the picture's boxes last, as a refused save says it: a person, a pre-annotation, an import.

    A pre-annotation has no user: its boxes were said as "Someone saved this picture", and an import as "erik saved
    this picture", sending the annotator looking for a colleague at work on the same picture.
    """
    who = saved_by or "Someone"
    note = latest.note if latest is not None else ""
    # The action first: a review's note is the reviewer's free text, and one holding "Imported from " was told as an import.
    if latest is not None and latest.action == AnnotationChange.Action.REVIEW:
        return f"{who} reviewed a model box of this picture"
    if note.startswith(AnnotationChange.PREANNOTATED):
        return "A pre-annotation added the models' boxes to this picture"
    if AnnotationChange.IMPORTED in note:
        return f"{who} imported boxes (from {note.split(AnnotationChange.IMPORTED, 1)[1]}) into this picture"
    return f"{who} saved this picture"


class InvalidBoxes(ValueError):
    """Field-level errors: ``errors[i]`` maps field names to messages for box ``i``."""

    def __init__(self, errors: dict[int, dict[str, str]], message: str = "Some boxes are not valid; see the errors of each box.") -> None:
        super().__init__(message)
        self.errors = errors


class TooManyBoxes(InvalidBoxes):
    """More boxes in one save than a picture may hold; refused before anything is parsed or written."""

    def __init__(self, count: int) -> None:
        super().__init__(
            {},
            f"A picture can hold at most {MAX_BOXES_PER_PICTURE} boxes, and this save has {count:,}. "
            "Remove boxes you do not need and save again.",
        )


def check_box_count(count: int) -> None:
    if count > MAX_BOXES_PER_PICTURE:
        raise TooManyBoxes(count)


@dataclass(frozen=True)
class BoxInput:
    x: float
    y: float
    width: float
    height: float
    view: str
    defect: str
    id: int | None = None


def parse_boxes(raw_boxes: Sequence[dict[str, Any]], image: Image) -> list[BoxInput]:
    """Validate raw box dicts (from JSON) against the picture; raise ``InvalidBoxes`` (``TooManyBoxes`` first)."""
    check_box_count(len(raw_boxes))
    boxes: list[BoxInput] = []
    errors: dict[int, dict[str, str]] = {}
    seen_ids: set[int] = set()
    for index, raw in enumerate(raw_boxes):
        box_error: dict[str, str] = {}
        numbers: dict[str, float] = {}
        if not isinstance(raw, dict):
            errors[index] = {"box": "Each box must be an object with x, y, width, height, view and defect."}
            continue
        for field in ("x", "y", "width", "height"):
            value = raw.get(field)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
                box_error[field] = "A number is required."
                continue
            try:
                numbers[field] = float(value)
            except OverflowError:  # a JSON integer of hundreds of digits
                box_error[field] = "The number is far too large for a picture; give the box in pixels of the picture."
        view = defect = ""
        try:
            view = view_label(str(raw.get("view", "")))
        except ValueError:
            box_error["view"] = f"Choose a view: {' or '.join(VIEWS)}."
        try:
            defect = defect_label(str(raw.get("defect", "")))
        except ValueError:
            box_error["defect"] = f"Choose a defect class: {', '.join(DEFECTS)}."
        if len(numbers) == 4:
            box_error.update(box_errors(numbers["x"], numbers["y"], numbers["width"], numbers["height"], image.width, image.height))
        box_id = raw.get("id")
        if box_id is not None and (isinstance(box_id, bool) or not isinstance(box_id, int)):
            box_error["id"] = "The box id must be a whole number or null."
        elif box_id is not None and box_id in seen_ids:  # both would update one box: the other would be lost
            box_error["id"] = f"An earlier box has the same id {box_id}; give a new box the id null."
        elif box_id is not None:
            seen_ids.add(box_id)
        if box_error:
            errors[index] = box_error
            continue
        boxes.append(BoxInput(id=box_id, view=view, defect=defect, **numbers))
    if errors:
        raise InvalidBoxes(errors)
    return boxes


@transaction.atomic
def save_boxes(
    image: Image,
    boxes: Sequence[BoxInput],
    *,
    base_revision: int,
    user: Actor,
) -> Image:
    """Replace the picture's boxes with ``boxes`` if nobody saved since ``base_revision``.

    Boxes with an ``id`` update that box (a person editing a model's box marks it
    corrected), boxes without one are created, missing ones are deleted. Every
    change is recorded in the history. Raises ``StaleRevision`` on a lost race and
    ``TooManyBoxes``, before any write, above ``MAX_BOXES_PER_PICTURE``.
    """
    check_box_count(len(boxes))
    bumped = Image.objects.filter(pk=image.pk, annotation_revision=base_revision).update(annotation_revision=F("annotation_revision") + 1)
    if not bumped:
        image.refresh_from_db()
        raise StaleRevision(image)
    existing = {a.pk: a for a in Annotation.objects.select_for_update().filter(image=image)}
    keep: set[int] = set()
    changes: list[AnnotationChange] = []
    for box in boxes:
        annotation = existing.get(box.id) if box.id is not None else None
        if annotation is None:
            annotation = Annotation.objects.create(
                image=image, annotator=recorded_user(user), source=Source.HUMAN, **{f: getattr(box, f) for f in BOX_FIELDS}
            )
            changes.append(AnnotationChange.of(AnnotationChange.Action.CREATE, annotation, user))
            keep.add(annotation.pk)
            continue
        keep.add(annotation.pk)
        if all(getattr(annotation, f) == getattr(box, f) for f in BOX_FIELDS):
            continue
        before = annotation.as_dict()
        for field in BOX_FIELDS:
            setattr(annotation, field, getattr(box, field))
        annotation.revision += 1
        annotation.annotator = recorded_user(user)
        if annotation.source == Source.MODEL:
            annotation.review_state = ReviewState.CORRECTED
        annotation.save()
        changes.append(AnnotationChange.of(AnnotationChange.Action.UPDATE, annotation, user, before=before))
    for pk, annotation in existing.items():
        if pk in keep:
            continue
        changes.append(AnnotationChange.of(AnnotationChange.Action.DELETE, annotation, user, before=annotation.as_deleted_dict()))
        annotation.delete()
    AnnotationChange.objects.bulk_create(changes)
    image.annotation_revision = base_revision + 1  # what the conditional UPDATE above wrote; no need to read it back
    return image


def record_box_edit(annotation: Annotation, user: Actor, *, before: dict[str, Any] | None = None, deleted: bool = False) -> None:
    """Record a box changed outside ``save_boxes`` (the Django admin) and move its picture's revision.

    Without the revision, an annotation page opened before saved over the change without a word; call it inside the
    change's transaction, before the box is deleted.
    """
    action = AnnotationChange.Action.DELETE if deleted else AnnotationChange.Action.UPDATE if before else AnnotationChange.Action.CREATE
    AnnotationChange.of(action, annotation, user, before=before).save()
    Image.objects.filter(pk=annotation.image_id).update(annotation_revision=F("annotation_revision") + 1)
