"""A filtered selection of the library -> a zip in one of the foreign formats.

Model boxes waiting for review or rejected (an export of all boxes) carry a ``review_state``
attribute (a column in CSV), so an import keeps them out of training; YOLO cannot carry it, and
the export says so. View and defect travel as the class (``TOP_PASS`` ... ``SIDE_TOUCH``, eight
classes in ``VIEWS`` x ``DEFECTS`` order, the same ids in every export) plus
``view`` and ``defect`` attributes where the format has attributes (CVAT, COCO,
Label Studio per-region choices, VOC ``<attributes>``, CSV columns). Pictures
travel in the zip under ``{wire_group}/{name}``, so wire ids that restart per
folder stay apart and an import of the zip gives the same groups back.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from django.db.models import Prefetch, QuerySet

from annotations.choices import ReviewState
from annotations.models import Annotation, Image, ImageQuerySet
from core.labels import DEFECTS, VIEWS
from core.safepath import inside, safe_relative
from interop.dataset import ForeignBox, ForeignDataset, ForeignImage
from interop.formats import coco, csv, cvat, labelstudio, voc, yolo

EXPORT_FORMATS: dict[str, str] = {
    "yolo": "YOLO (Ultralytics data.yaml dataset)",
    "coco": "COCO instances JSON",
    "voc": "Pascal VOC XML",
    "cvat": "CVAT for images 1.1 XML",
    "labelstudio": "Label Studio JSON",
    "csv": "CSV (desktop tool columns)",
}
CLASSES: list[str] = [f"{view}_{defect}" for view in VIEWS for defect in DEFECTS]
#: The review states that keep a box out of training; they travel as the ``review_state`` attribute.
NOT_FOR_TRAINING: frozenset[str] = frozenset({ReviewState.PENDING, ReviewState.REJECTED})


def select(*, view: str = "", defect: str = "", wire_group: str = "", name: str = "", for_training: bool = True) -> QuerySet[Image]:
    """Pictures with at least one box matching the filters, each with only those boxes prefetched (``without_boxes_note``
    says how many pictures of the group and name chosen this leaves out)."""
    boxes = Annotation.objects.for_training() if for_training else Annotation.objects.all()
    if view:
        boxes = boxes.filter(view=view)
    if defect:
        boxes = boxes.filter(defect=defect)
    images = _pictures(wire_group, name).filter(pk__in=boxes.values("image_id"))
    return images.prefetch_related(Prefetch("annotations", queryset=boxes, to_attr="selected_boxes"))


def _pictures(wire_group: str, name: str) -> ImageQuerySet:
    images = Image.objects.all()
    if wire_group:
        images = images.filter(wire_group__startswith=wire_group)
    if name:
        images = images.filter(original_name__icontains=name)
    return images


def without_boxes_note(*, wire_group: str = "", name: str = "", for_training: bool = False, all_boxes: str = "") -> str:
    """The pictures the group and name filters select that the export leaves out (empty when none): those without any
    box, and, for an export of training data (``for_training``), those whose boxes are all model boxes waiting for review
    or rejected. ``all_boxes`` names the switch that takes those in (the form's box, the command's flag)."""
    pictures = _pictures(wire_group, name)
    notes = []
    if count := pictures.unannotated().count():
        notes.append(
            "1 picture of the selection has no boxes, so the export leaves it out; annotate it to export it."
            if count == 1
            else f"{count} pictures of the selection have no boxes, so the export leaves them out; annotate them to export them."
        )
    if for_training:
        untrained = pictures.filter(annotations__isnull=False).exclude(pk__in=Annotation.objects.for_training().values("image_id"))
        if count := untrained.distinct().count():
            what = "1 picture of the selection holds" if count == 1 else f"{count} pictures of the selection hold"
            notes.append(
                f"{what} only model boxes waiting for review or rejected, which an export of training data leaves out; review "
                f"them on the Review page, or export again with {all_boxes or 'model boxes included'}."
            )
    return " ".join(notes)


class ExportRefused(ValueError):
    """A selection the chosen format cannot hold whole; the message says what to change."""


def to_dataset(images: QuerySet[Image]) -> ForeignDataset:
    """The selection as a data set; ``ExportRefused`` for two pictures of one name, which every format would merge."""
    dataset = ForeignDataset(format="wiresag", labels=list(CLASSES))
    named: dict[str, int] = {}
    for image in images:
        # Groups and names stored before they were checked may hold '..' or a root: defused here, once for every format.
        name = str(safe_relative(f"{image.wire_group}/{image.original_name}" if image.wire_group else image.original_name))
        if (first := named.setdefault(name, image.pk)) != image.pk:  # a wire uploaded again: a new shot, the same name
            raise ExportRefused(
                f"Two pictures of the selection are named {name} (ids {first} and {image.pk}), and an export names each picture "
                "by its name: one would replace the other, and its boxes would be lost or land on the other picture. Delete "
                "the one no longer needed in the library, or choose filters that leave one of them out, then export again."
            )
        dataset.images.append(
            ForeignImage(
                name=name,
                width=image.width,
                height=image.height,
                picture=Path(image.file.path),
                group=str(safe_relative(image.wire_group)) if image.wire_group else "",
                boxes=[
                    ForeignBox(
                        label=f"{box.view}_{box.defect}",
                        x=box.x,
                        y=box.y,
                        width=box.width,
                        height=box.height,
                        attributes={"view": box.view, "defect": box.defect}
                        | ({"review_state": box.review_state} if box.review_state in NOT_FOR_TRAINING else {}),
                    )
                    # Prefetch(to_attr=...) in images_for_export adds this list; django-stubs cannot know the attribute.
                    for box in image.selected_boxes  # type: ignore[attr-defined]
                ],
            )
        )
    return dataset


#: How many missing pictures a refusal names before it counts the rest.
MISSING_NAMED = 10


def refuse_missing_pictures(dataset: ForeignDataset) -> None:
    """``ExportRefused`` naming (as the export names them: lot/name) the pictures whose file is not in the data folder.

    Checked before anything is written: the copy stopped at the first missing one, minutes into the zip, and named it by
    its stored hash. One stat() a picture, which the export reads anyway.
    """
    missing = [image.name for image in dataset.images if image.picture is not None and not image.picture.is_file()]
    if not missing:
        return
    named = ", ".join(missing[:MISSING_NAMED]) + (f" and {len(missing) - MISSING_NAMED} more" if len(missing) > MISSING_NAMED else "")
    what = (
        "1 picture of the selection is missing its file"
        if len(missing) == 1
        else f"{len(missing)} pictures of the selection are missing their file"
    )
    raise ExportRefused(
        f"{what} in the data folder: {named}. Copy the files back from the backup (the library's Files missing filter and "
        "manage.py library_check list them), leave those pictures out with the filters, or export the labels only."
    )


def _val_names(dataset: ForeignDataset, val_every: int) -> set[str]:
    return {image.name for index, image in enumerate(dataset.images) if val_every and index % val_every == val_every - 1}


def picture_places(dataset: ForeignDataset, format_name: str, *, val_every: int = 5) -> list[tuple[Path, str]]:
    """Where each picture goes in ``format_name``'s layout: (stored file, path inside the export)."""
    if format_name == "yolo":
        val_names = _val_names(dataset, val_every)
        folder_of = {image.name: f"images/{'val' if image.name in val_names else 'train'}" for image in dataset.images}
    else:
        # Pascal VOC's own layout (what Datumaro and mmdetection open): pictures in JPEGImages/.
        folder = "JPEGImages" if format_name == "voc" else "images"
        folder_of = {image.name: folder for image in dataset.images}
    return [(image.picture, f"{folder_of[image.name]}/{image.name}") for image in dataset.images if image.picture is not None]


def _refuse_shared_label_files(dataset: ForeignDataset, format_name: str, val_names: set[str]) -> None:
    """YOLO and VOC name a picture's label file by its name without the suffix: ``002_SIDE.png`` and
    ``002_SIDE.jpg`` of one folder would share one file, and the boxes of one picture would be lost."""
    if format_name not in ("yolo", "voc"):
        return
    suffix = ".txt" if format_name == "yolo" else ".xml"
    seen: dict[str, str] = {}
    for image in dataset.images:
        label_file = str(PurePosixPath(image.name).with_suffix(suffix))
        split = ("val/" if image.name in val_names else "train/") if format_name == "yolo" else ""
        other = seen.setdefault(split + label_file, image.name)
        if other != image.name:
            raise ExportRefused(
                f"{other} and {image.name} would share one label file ({label_file}) in {EXPORT_FORMATS[format_name]}, "
                "so the boxes of one of them would be lost. Export in COCO, CVAT, Label Studio or CSV, which name each "
                "picture in full, or leave one of the two out with the filters."
            )


def write(dataset: ForeignDataset, format_name: str, out: Path, *, include_pictures: bool = True, val_every: int = 5) -> None:
    """Write ``dataset`` into the folder ``out`` in ``format_name``; ``ExportRefused`` when the format cannot hold it."""
    _refuse_shared_label_files(dataset, format_name, _val_names(dataset, val_every) if format_name == "yolo" else set())
    if include_pictures:
        refuse_missing_pictures(dataset)
    out.mkdir(parents=True, exist_ok=True)
    if format_name == "yolo":
        yolo.write(dataset, out, _val_names(dataset, val_every), include_pictures=False)
    elif format_name == "voc":
        voc.write(dataset, out)  # with ImageSets/Main/default.txt
    else:
        writer, filename = {
            "coco": (coco.write, "annotations.json"),
            "cvat": (cvat.write, "annotations.xml"),
            "labelstudio": (labelstudio.write, "tasks.json"),
            "csv": (csv.write, "boxes.csv"),
        }[format_name]
        writer(dataset, out / filename)
    if format_name == "coco":
        # Also where Datumaro (and CVAT's COCO import) look for it.
        (out / "annotations").mkdir()
        shutil.copyfile(out / "annotations.json", out / "annotations" / "instances_default.json")
    if include_pictures:
        for source, place in picture_places(dataset, format_name, val_every=val_every):
            target = inside(out, place)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


#: Called with (pictures written, pictures in all) while a zip is built.
ExportProgress = Callable[[int, int], None]


def export_zip(
    images: QuerySet[Image], format_name: str, target: Path, *, include_pictures: bool = True, progress: ExportProgress | None = None
) -> dict[str, int]:
    """Write the selection as a zip file at ``target``; return how many pictures and boxes it holds.

    The label files are written to a temporary folder and compressed; the pictures
    go from the library straight into the zip, stored as they are (PNG and JPEG do
    not shrink under deflate, which only costs time), each one reported to ``progress``.
    """
    dataset = to_dataset(images)
    if include_pictures:
        refuse_missing_pictures(dataset)
    places = picture_places(dataset, format_name) if include_pictures else []
    with tempfile.TemporaryDirectory(prefix="wiresag-export-") as folder:
        out = Path(folder) / "export"
        write(dataset, format_name, out, include_pictures=False)
        data_yaml = out / "data.yaml"
        if data_yaml.exists():
            # Inside a zip the dataset root is wherever it is unpacked; without 'path' Ultralytics uses data.yaml's folder.
            lines = data_yaml.read_text(encoding="utf-8").splitlines(keepends=True)
            data_yaml.write_text("".join(line for line in lines if not line.startswith("path:")), encoding="utf-8")
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(out.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(out).as_posix())
            for done, (source, place) in enumerate(places, start=1):
                archive.write(source, str(safe_relative(place)), compress_type=zipfile.ZIP_STORED)
                if progress is not None:
                    progress(done, len(places))
    if progress is not None and not places:
        progress(0, 0)
    in_review = sum(1 for image in dataset.images for box in image.boxes if "review_state" in box.attributes)
    return {
        "pictures": len(dataset.images),
        "boxes": sum(len(image.boxes) for image in dataset.images),
        "unmarked": in_review if format_name == "yolo" else 0,
    }


def unmarked_note(counts: dict[str, int]) -> str:
    """What an export could not carry, as a sentence (empty when nothing)."""
    if not counts.get("unmarked"):
        return ""
    return (
        f"{counts['unmarked']} of the boxes wait for review or were rejected; YOLO cannot mark them, so an import of this export "
        "brings them back as ordinary boxes that models learn from. Export in COCO, CVAT, VOC, Label Studio or CSV to keep them apart."
    )
