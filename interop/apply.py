"""Plan an import (dry run, nothing written), then apply it in one transaction.

The plan says what comes in and what is skipped and why (unknown label, box
outside the picture, missing picture, duplicate, another label on a loop whose box is settled, in the library or by
an earlier box of the import). Applying stores new pictures
through ``ingest_image`` and records every new box in the history; any failure
rolls the database back and removes the picture files already stored, so the
library stays as it was.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from PIL import Image as PILImage

from accounts.users import Actor, recorded_user
from annotations.choices import ReviewState, Source
from annotations.ingest import UnreadableImage, ingest_image
from annotations.models import Annotation, AnnotationChange, Image
from annotations.storing import storing_library_files
from core.labels import parse_wire_name
from core.safepath import wire_group_problem
from interop.dataset import ForeignDataset, ForeignImage
from interop.mapping import resolve

#: Boxes closer than this (pixels, every side) with the same labels are the same box.
DUPLICATE_TOLERANCE = 0.5
#: Two boxes overlapping by more than this share of the smaller one frame the same loop (as the pipeline's duplicates).
SAME_LOOP_OVERLAP = 0.6
DUPLICATE = "duplicate (the same box is already there)"
#: Pictures whose boxes one query reads (SQLite parses a bounded number of parameters).
IDS_PER_QUERY = 500


class ImportRefused(ValueError):
    """A source the import may not read (outside the import root, unsafe zip entry ...)."""


@dataclass
class PlannedBox:
    x: float
    y: float
    width: float
    height: float
    view: str
    defect: str
    label: str
    clipped: bool = False
    #: ``pending`` or ``rejected`` for a model box an export of all boxes marked so; empty for an ordinary box.
    review_state: str = ""
    #: The id of the model box waiting for review on the same loop that this (ordinary) box settles instead of
    #: sitting beside it: accepted when they are alike, corrected to this box otherwise.
    settles: int | None = None


@dataclass
class PlannedImage:
    name: str
    group: str
    width: int
    height: int
    picture: Path | None = None
    library_id: int | None = None
    #: The library picture's ``annotation_revision`` when its boxes were read for the plan; None for a new picture.
    revision: int | None = None
    boxes: list[PlannedBox] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        return self.library_id is None


@dataclass(frozen=True)
class Skipped:
    image: str
    label: str
    reason: str


@dataclass
class ImportPlan:
    format: str
    images: list[PlannedImage] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def box_count(self) -> int:
        return sum(len(image.boxes) for image in self.images)

    @property
    def new_picture_count(self) -> int:
        return sum(1 for image in self.images if image.is_new)

    @property
    def clipped_count(self) -> int:
        return sum(1 for image in self.images for box in image.boxes if box.clipped)

    @property
    def settled_count(self) -> int:
        return sum(1 for image in self.images for box in image.boxes if box.settles is not None)

    def settled_note(self) -> str:
        """What the dry run says about the model boxes waiting for review that imported boxes settle."""
        if not (count := self.settled_count):
            return ""
        return (
            f"{count} of them {'settles a model box' if count == 1 else 'settle model boxes'} waiting for review on the same loop: "
            "a model box like the imported one is accepted, any other is corrected to the imported box."
        )

    def skip_reasons(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for skipped in self.skipped:
            key = re.sub(r" '.*?'", "", skipped.reason.split(" (")[0])
            counts[key] = counts.get(key, 0) + 1
        return counts


@dataclass(frozen=True)
class ImportResult:
    pictures_created: int
    boxes_created: int
    skipped: int
    #: Pictures that could not be read when they were stored (the dry run reads only their header): name and reason.
    damaged: list[tuple[str, str]] = field(default_factory=list)
    #: Model boxes waiting for review that an imported box on the same loop accepted (alike) or corrected.
    accepted: int = 0
    corrected: int = 0
    #: Pictures whose boxes someone saved or reviewed after the plan read them: their boxes were planned again.
    changed: list[str] = field(default_factory=list)
    #: Boxes that planned again against the boxes there now turned out to be already there.
    late_duplicates: int = 0
    #: Boxes that planned again turned out to have another label than the box settled on their loop meanwhile.
    late_conflicts: int = 0
    #: Pictures deleted after the plan: name and how many boxes were left out with them.
    deleted: list[tuple[str, int]] = field(default_factory=list)

    def settled_sentence(self) -> str:
        if not (count := self.accepted + self.corrected):
            return ""
        boxes = "model box waiting for review was" if count == 1 else "model boxes waiting for review were"
        return f"{count} {boxes} settled by the imported boxes on their loops ({self.accepted} accepted, {self.corrected} corrected)."

    def changed_sentence(self) -> str:
        """What the import found changed on its pictures between its plan and its apply, or ""."""
        parts = []
        if count := len(self.changed):
            pictures, its = ("1 picture", "its") if count == 1 else (f"{count} pictures", "their")
            names = ", ".join(self.changed[:5]) + (f" and {count - 5} more" if count > 5 else "")
            skipped = []
            if self.late_duplicates or not self.late_conflicts:
                skipped.append("1 already there was" if self.late_duplicates == 1 else f"{self.late_duplicates} already there were")
            if count := self.late_conflicts:
                one, many = "that conflicts with the box on its loop was", "that conflict with the boxes on their loops were"
                skipped.append(f"{count} {one if count == 1 else many}")
            parts.append(
                f"{pictures} changed while the import was applied (someone saved or reviewed {its} boxes): {names}. "
                f"{its.capitalize()} boxes were checked again against the boxes there now; {' skipped; '.join(skipped)} skipped."
            )
        for name, boxes in self.deleted[:5]:
            left_out = "1 box was" if boxes == 1 else f"{boxes} boxes were"
            parts.append(f"{name} was deleted while the import was applied; its {left_out} left out.")
        if len(self.deleted) > 5:
            parts.append(f"{len(self.deleted) - 5} more pictures were deleted meanwhile and left out with their boxes.")
        return " ".join(parts)


def safe_folder(requested: str) -> Path:
    """A server folder below ``settings.IMPORT_ROOT``; anything outside it is refused."""
    root = Path(settings.IMPORT_ROOT).resolve()
    try:
        candidate = (root / requested.strip().lstrip("/")).resolve() if not Path(requested).is_absolute() else Path(requested).resolve()
        exists = candidate.exists()
    except (ValueError, OSError):  # a NUL byte, a name longer than the file system allows, a loop of links
        raise ImportRefused(
            f"{requested.strip()[:80]!r} is not a folder name the server can use; type the folder's name as it is."
        ) from None
    if candidate != root and root not in candidate.parents:
        raise ImportRefused(
            f"Only folders inside the import folder can be read, and {requested.strip()!r} is not; move the files there first."
        )
    if not exists:
        raise ImportRefused(f"There is no file or folder {requested.strip()!r} inside the import folder.")
    return candidate


#: The extension a picture named without one may have in the library (``name.png`` for a YOLO label file's ``name``).
LIBRARY_EXTENSION = re.compile(r"[a-z0-9]+")


class _LibraryNames:
    """The library's pictures by name, read in one query for a plan of pictures named without their files.

    Asked per picture, a labels-only import of 15,500 pictures (from CVAT, say) took 46,500 queries and 24 s each
    time its mapping was sent; names match in any case, as they did in the database.
    """

    def __init__(self) -> None:
        self.by_name: dict[str, list[tuple[int, str]]] = defaultdict(list)  # lower-case name -> (id, group), oldest first
        self.by_stem: dict[str, list[tuple[int, str]]] = defaultdict(list)  # the same, by name without its extension
        for pk, name, group in Image.objects.order_by("pk").values_list("pk", "original_name", "wire_group").iterator():
            lowered = name.lower()
            self.by_name[lowered].append((pk, group))
            stem, dot, extension = lowered.rpartition(".")
            if dot and LIBRARY_EXTENSION.fullmatch(extension):
                self.by_stem[stem].append((pk, group))

    def match(self, image: ForeignImage, group: str) -> tuple[int | None, str]:
        """The id of the library picture with the same name (and group, when several share it), or why none is used."""
        name = PurePosixPath(image.name)
        matches = (self.by_name if name.suffix else self.by_stem).get(name.name.lower(), [])
        if group and any(found_group == group for _, found_group in matches):
            matches = [match for match in matches if match[1] == group]
        if len(matches) == 1:
            return matches[0][0], ""
        if matches:
            return None, f"several library pictures are named {name.name!r}; give the group or include the pictures"
        looked_for = name.name if name.suffix else f"{name.name}.*"
        return None, f"missing picture (looked for {looked_for!r}: not in the source, and no library picture has this name)"


def _inspect_picture(path: Path) -> tuple[str, int, int]:
    data = path.read_bytes()
    try:
        with PILImage.open(io.BytesIO(data)) as picture:
            width, height = picture.size
    except ImportError:
        # In a process that imported ultralytics, PIL.Image.open is patched to load the pi-heif
        # plugin for a file it cannot identify, and fails with ModuleNotFoundError where it is absent.
        raise PILImage.UnidentifiedImageError(path.name) from None
    return hashlib.sha256(data).hexdigest(), width, height


def _unreadable(picture: Path, error: Exception) -> str:
    """Why a picture cannot be read, naming the file as the user named it (never a server path or a stream)."""
    if isinstance(error, PILImage.UnidentifiedImageError):
        return f"unreadable picture ({picture.name} is not a picture Wiresag can read)"
    if isinstance(error, PILImage.DecompressionBombError):
        return f"unreadable picture ({picture.name} has too many pixels; it may be a decompression bomb)"
    detail = error.strerror if isinstance(error, OSError) and error.strerror else "damaged or truncated"
    return f"unreadable picture ({picture.name}: {detail})"


#: Less than this many pixels past an edge is rounding in the exporting tool, not a box outside the picture.
ROUNDING_PIXELS = 0.5


def _clip(x: float, y: float, w: float, h: float, width: int, height: int, clip: bool) -> tuple[float, float, float, float, bool] | None:
    slack = ROUNDING_PIXELS
    inside = x >= -slack and y >= -slack and x + w <= width + slack and y + h <= height + slack
    if inside:  # within rounding noise: snapped to the edge without calling it clipped
        left, top = max(0.0, x), max(0.0, y)
        return left, top, min(x + w, float(width)) - left, min(y + h, float(height)) - top, False
    if not clip:
        return None
    left, top = max(0.0, x), max(0.0, y)
    right, bottom = min(float(width), x + w), min(float(height), y + h)
    if right - left < 1 or bottom - top < 1:
        return None
    return left, top, right - left, bottom - top, True


Box = tuple[float, float, float, float, str, str]  # x, y, width, height, view, defect


def _same(a: Box, b: Box) -> bool:
    return a[4:] == b[4:] and all(abs(p - q) <= DUPLICATE_TOLERANCE for p, q in zip(a[:4], b[:4], strict=True))


def _loop_overlap(a: Box, b: Box) -> float:
    """How much of the smaller box the other covers (0 to 1), whatever their labels."""
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    smaller = min(a[2] * a[3], b[2] * b[3])
    return width * height / smaller if width > 0 and height > 0 and smaller > 0 else 0.0


@dataclass
class _Known:
    """A box already on the picture, or planned: whether it is rejected, its id while it is a model box waiting for review,
    and whether it is a box of the library that a model learns from (drawn, accepted or corrected: its loop is settled)."""

    box: Box
    rejected: bool
    pending_id: int | None = None
    settled: bool = False
    #: Planned by this import, not yet in the library.
    imported: bool = False


def _known_on(image: Image) -> list[_Known]:
    """The boxes a picture holds now, as the plan compares imported boxes with them."""
    return [_known(a) for a in image.annotations.all()]


def _known(a: Annotation) -> _Known:
    return _Known(
        (a.x, a.y, a.width, a.height, a.view, a.defect),
        a.review_state == ReviewState.REJECTED,
        a.pk if a.source == Source.MODEL and a.review_state == ReviewState.PENDING else None,
        a.review_state in (ReviewState.NONE, ReviewState.ACCEPTED, ReviewState.CORRECTED),
    )


def _known_on_each(image_ids: list[int]) -> dict[int, list[_Known]]:
    """``_known_on`` of each of these pictures, read in a few queries."""
    known: dict[int, list[_Known]] = {pk: [] for pk in image_ids}
    for start in range(0, len(image_ids), IDS_PER_QUERY):
        for a in Annotation.objects.filter(image_id__in=image_ids[start : start + IDS_PER_QUERY]).order_by("pk"):
            known[a.image_id].append(_known(a))
    return known


def _waiting_on_loop(candidate: Box, known_boxes: list[_Known]) -> _Known | None:
    """The model box waiting for review that ``candidate`` overlaps most, if it frames the same loop."""
    overlaps = [(_loop_overlap(candidate, known.box), index) for index, known in enumerate(known_boxes) if known.pending_id is not None]
    overlap, index = max(overlaps, default=(0.0, -1))
    return known_boxes[index] if overlap > SAME_LOOP_OVERLAP else None


def _conflict(candidate: Box, known_boxes: list[_Known]) -> str:
    """Why ``candidate`` may not come in beside a settled library box of other labels on its loop, or ""."""
    for known in known_boxes:
        if known.settled and known.box[4:] != candidate[4:] and _loop_overlap(candidate, known.box) > SAME_LOOP_OVERLAP:
            other, stays = "the box already on this loop", "is kept"
            if known.imported:
                other, stays = "another box of this import on the same loop", "comes in"
            return (
                f"conflicts with {other} (it says {' '.join(known.box[4:])} and {stays}; "
                f"if {' '.join(candidate[4:])} is right, correct it on the annotation page)"
            )
    return ""


def _place(box: PlannedBox, known_boxes: list[_Known]) -> PlannedBox | str:
    """``box`` with the model box it settles, or why it is skipped (the same box is already there, or its loop's settled
    box says otherwise); adds it to ``known_boxes``."""
    candidate = (box.x, box.y, box.width, box.height, box.view, box.defect)
    rejected = box.review_state == ReviewState.REJECTED
    # A person's box wins over the model's unreviewed guess on its loop: it settles that box, never a duplicate of it;
    # unless the same box is already there apart from the model's (the lot imported again), which is left alone.
    others = [known for known in known_boxes if box.review_state or known.pending_id is None]
    if any(_same(candidate, known.box) and (rejected or not known.rejected) for known in others):
        return DUPLICATE
    # A box drawn, accepted or corrected in the library is the loop's label: another one beside it would train the loop
    # twice, with two labels. The library's box stays; the person who knows which is right corrects it.
    if not box.review_state and (conflict := _conflict(candidate, known_boxes)):
        return conflict
    settled = None if box.review_state else _waiting_on_loop(candidate, known_boxes)
    if settled is not None:
        known_boxes.remove(settled)
    # A person's box coming in settles its loop too: a later box of this import with other labels there conflicts with it.
    known_boxes.append(_Known(candidate, rejected, settled=not box.review_state, imported=True))
    return replace(box, settles=settled.pending_id if settled is not None else None)


@dataclass
class _Found:
    """A picture of the source and the library picture it is (by its bytes or by its name), before its boxes are planned."""

    foreign: ForeignImage
    group: str
    display: str
    library_id: int | None = None
    sha: str = ""
    #: The size of its file; None for a picture named without its file (the library picture's size).
    size: tuple[int, int] | None = None


def _find(foreign: ForeignImage, group: str, display: str, names: _LibraryNames | None) -> _Found | list[Skipped]:
    """Which picture ``foreign`` is, or why its boxes are skipped."""
    if foreign.problem:
        return [Skipped(display, box.label, foreign.problem) for box in foreign.boxes]
    if problem := wire_group_problem(group):
        return [Skipped(display, box.label, f"unsafe wire group ({problem})") for box in foreign.boxes]
    if foreign.picture is not None:
        try:
            sha, width, height = _inspect_picture(foreign.picture)
        except (OSError, PILImage.DecompressionBombError) as error:
            return [Skipped(display, box.label, _unreadable(foreign.picture, error)) for box in foreign.boxes]
        library_id = Image.objects.filter(sha256=sha).values_list("pk", flat=True).first()
        return _Found(foreign, group, display, library_id, sha, (width, height))
    assert names is not None
    library_id, reason = names.match(foreign, group)
    if library_id is None:
        return [Skipped(display, box.label, reason) for box in foreign.boxes]
    return _Found(foreign, group, display, library_id)


def plan_import(dataset: ForeignDataset, mapping: dict[str, Any], *, clip: bool = True, wire_group: str = "") -> ImportPlan:
    """What an import would do; reads pictures but writes nothing.

    The library pictures it names and their boxes are read in a few queries, not per picture.
    """
    plan = ImportPlan(format=dataset.format, notes=list(dataset.notes))
    targets: dict[str, PlannedImage] = {}
    # Each box already there or planned, and whether it is rejected: a rejected model box is no
    # duplicate of a box that counts (a human drew it where the reviewer turned the model's down).
    known_boxes: dict[str, list[_Known]] = {}
    names = _LibraryNames() if any(foreign.picture is None and not foreign.problem for foreign in dataset.images) else None
    found: list[_Found | list[Skipped]] = []
    for foreign in dataset.images:
        group = "/".join(part for part in (wire_group.strip("/"), foreign.group) if part)
        found.append(_find(foreign, group, f"{group}/{foreign.basename}" if group else foreign.basename, names))
    library_ids = sorted({item.library_id for item in found if isinstance(item, _Found) and item.library_id is not None})
    libraries = Image.objects.in_bulk(library_ids)
    library_boxes = _known_on_each(library_ids)
    for item in found:
        if isinstance(item, list):
            plan.skipped.extend(item)
            continue
        foreign, group, display, sha = item.foreign, item.group, item.display, item.sha
        library = libraries.get(item.library_id) if item.library_id is not None else None
        if item.size is not None:
            width, height = item.size
        elif library is not None:
            width, height = library.width, library.height
        else:  # deleted from the library since its name was read
            reason = f"missing picture ({foreign.basename!r} was deleted from the library while the import was planned)"
            plan.skipped.extend(Skipped(display, box.label, reason) for box in foreign.boxes)
            continue
        if foreign.width and foreign.height and (foreign.width, foreign.height) != (width, height):
            reason = f"picture size differs (the file says {foreign.width}x{foreign.height}, the picture is {width}x{height})"
            plan.skipped.extend(Skipped(display, box.label, reason) for box in foreign.boxes)
            continue
        key = f"id:{library.pk}" if library is not None else f"sha:{sha}"
        target = targets.get(key)
        if target is not None and target.name != foreign.basename:
            plan.notes.append(f"{display} has the same bytes as {target.name}: one picture is stored, and the boxes of both go onto it.")
        if target is None:
            target = PlannedImage(
                name=foreign.basename,
                group=group if library is None else library.wire_group,
                width=width,
                height=height,
                picture=foreign.picture if library is None else None,
                library_id=library.pk if library else None,
                revision=library.annotation_revision if library else None,
            )
            targets[key] = target
            plan.images.append(target)
            known_boxes[key] = library_boxes[library.pk] if library else []
        name_view = parse_wire_name(foreign.basename).view
        for box in foreign.boxes:
            resolved = resolve(box, mapping, name_view)
            if isinstance(resolved, str):
                plan.skipped.append(Skipped(display, box.label, resolved))
                continue
            view, defect = resolved
            pixels = box.in_pixels(width, height)
            placed = _clip(*pixels, width, height, clip)
            if placed is None:
                where = "x {:.1f}, y {:.1f}, {:.1f}x{:.1f}".format(*pixels)
                off = "" if clip else "; clipping is off"
                reason = f"box outside the picture (box at {where}; the picture is {width}x{height}{off})"
                plan.skipped.append(Skipped(display, box.label, reason))
                continue
            x, y, w, h, clipped = placed
            review_state = box.attributes.get("review_state", "")
            review_state = review_state if review_state in (ReviewState.PENDING, ReviewState.REJECTED) else ""
            planned_box = _place(PlannedBox(x, y, w, h, view, defect, box.label, clipped, review_state), known_boxes[key])
            if isinstance(planned_box, str):
                plan.skipped.append(Skipped(display, box.label, planned_box))
                continue
            target.boxes.append(planned_box)
    plan.images = [image for image in plan.images if image.boxes or image.is_new]
    return plan


def apply_plan(plan: ImportPlan, user: Actor) -> ImportResult:
    """Store the planned pictures and boxes in one transaction; on failure nothing stays.

    The library pictures are locked, and the new boxes, their history rows and the pictures' revisions written, a
    batch at a time: one by one, 15,500 pictures' labels took about four queries a picture (28 s in one request,
    holding SQLite's write lock from everyone else).
    """
    stored: list[str] = []
    damaged: list[tuple[str, str]] = []
    note = f"{AnnotationChange.IMPORTED}{plan.format}"
    settled: dict[str, int] = {ReviewState.ACCEPTED: 0, ReviewState.CORRECTED: 0}
    changed: list[str] = []
    deleted: list[tuple[str, int]] = []
    try:
        # The files stored here are hours older than their rows on a large import: library_check must not take them for
        # files no picture names.
        with storing_library_files(), transaction.atomic():
            pictures_created = late_duplicates = late_conflicts = 0
            library_ids = [planned.library_id for planned in plan.images if planned.library_id is not None]
            locked: dict[int, Image] = {}
            for start in range(0, len(library_ids), IDS_PER_QUERY):
                locked.update(Image.objects.select_for_update().in_bulk(library_ids[start : start + IDS_PER_QUERY]))
            to_write: list[tuple[Image, list[PlannedBox]]] = []
            for planned in plan.images:
                boxes = planned.boxes
                if planned.library_id is not None:
                    found = locked.get(planned.library_id)
                    if found is None:
                        if boxes:
                            deleted.append((planned.name, len(boxes)))
                        continue
                    image = found
                else:
                    assert planned.picture is not None
                    data = planned.picture.read_bytes()
                    try:
                        result = ingest_image(data, planned.name, wire_group=planned.group, user=user, allow_existing=True)
                    except UnreadableImage as error:  # damaged past its header: left out with its boxes, and said
                        damaged.append((planned.name, str(error)))
                        continue
                    image = result.image
                    if result.created:
                        pictures_created += 1
                        stored.extend(name for name in (image.file.name, image.display_file.name, image.thumbnail_file.name) if name)
                    else:  # stored by someone else since the plan, perhaps with boxes: compared with them below
                        image = Image.objects.select_for_update().get(pk=image.pk)
                if boxes and image.annotation_revision != (planned.revision or 0):
                    # Someone saved or reviewed this picture's boxes after the plan read them (a review accepting the model
                    # box an imported one was to settle): plan its boxes again against those there now, under the lock.
                    known = _known_on(image)
                    placed = [_place(box, known) for box in boxes]
                    boxes = [box for box in placed if not isinstance(box, str)]
                    late_duplicates += placed.count(DUPLICATE)
                    late_conflicts += len(placed) - len(boxes) - placed.count(DUPLICATE)
                    changed.append(planned.name)
                if boxes:
                    to_write.append((image, boxes))
            boxes_created = _write_boxes(to_write, user, note, settled)
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return ImportResult(
        pictures_created=pictures_created,
        boxes_created=boxes_created,
        skipped=len(plan.skipped) + late_duplicates + late_conflicts + sum(count for _name, count in deleted),
        damaged=damaged,
        accepted=settled[ReviewState.ACCEPTED],
        corrected=settled[ReviewState.CORRECTED],
        changed=changed,
        late_duplicates=late_duplicates,
        late_conflicts=late_conflicts,
        deleted=deleted,
    )


def _write_boxes(to_write: list[tuple[Image, list[PlannedBox]]], user: Actor, note: str, settled: dict[str, int]) -> int:
    """Store each picture's boxes with their history rows and move its revision, a batch at a time; the boxes created.

    A box that settles a model box still waiting on the same picture decides it (``_settle``), as a review would.
    """
    settles = [box.settles for _image, boxes in to_write for box in boxes if box.settles]
    waiting: dict[int, Annotation] = {}
    for start in range(0, len(settles), IDS_PER_QUERY):
        chunk = settles[start : start + IDS_PER_QUERY]
        waiting.update(Annotation.objects.select_for_update().filter(pk__in=chunk, review_state=ReviewState.PENDING).in_bulk())
    entries: list[AnnotationChange | Annotation] = []  # in each picture's order: a settled box's history, or a new box
    for image, boxes in to_write:
        for box in boxes:
            model_box = waiting.get(box.settles or 0)
            if model_box is not None and model_box.image_id == image.pk:  # still waiting: settled by the person's box
                entries.append(_settle(model_box, box, user, note))
                settled[model_box.review_state] += 1
                continue
            entries.append(
                Annotation(
                    image=image,
                    x=box.x,
                    y=box.y,
                    width=box.width,
                    height=box.height,
                    view=box.view,
                    defect=box.defect,
                    # A model box waiting for review or rejected stays one: out of training, in the review queue.
                    source=Source.MODEL if box.review_state else Source.HUMAN,
                    review_state=box.review_state or ReviewState.NONE,
                    annotator=recorded_user(user),
                )
            )
    created = [entry for entry in entries if isinstance(entry, Annotation)]
    Annotation.objects.bulk_create(created, batch_size=IDS_PER_QUERY)  # sets their ids (SQLite 3.35+, PostgreSQL)
    changes = [
        AnnotationChange.of(AnnotationChange.Action.CREATE, entry, user, note=note) if isinstance(entry, Annotation) else entry
        for entry in entries
    ]
    AnnotationChange.objects.bulk_create(changes, batch_size=IDS_PER_QUERY)
    image_ids = [image.pk for image, _boxes in to_write]
    for start in range(0, len(image_ids), IDS_PER_QUERY):
        Image.objects.filter(pk__in=image_ids[start : start + IDS_PER_QUERY]).update(annotation_revision=F("annotation_revision") + 1)
    return len(created)


def _settle(model_box: Annotation, box: PlannedBox, user: Actor, note: str) -> AnnotationChange:
    """The person's box decides the model's box on its loop, as a review would (alike) or the annotation page (not)."""
    before = model_box.as_dict()
    model_box.annotator = recorded_user(user)
    placed = (box.x, box.y, box.width, box.height, box.view, box.defect)
    if _same((model_box.x, model_box.y, model_box.width, model_box.height, model_box.view, model_box.defect), placed):
        model_box.review_state = ReviewState.ACCEPTED
        model_box.save(update_fields=["review_state", "annotator", "updated_at"])
        return AnnotationChange.of(AnnotationChange.Action.REVIEW, model_box, user, before=before, note=f"accept: {note}")
    model_box.x, model_box.y, model_box.width, model_box.height, model_box.view, model_box.defect = placed
    model_box.review_state = ReviewState.CORRECTED
    model_box.revision += 1
    model_box.save()
    return AnnotationChange.of(AnnotationChange.Action.UPDATE, model_box, user, before=before, note=note)
