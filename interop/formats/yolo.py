"""YOLO labels: Ultralytics ``data.yaml`` datasets, ``classes.txt`` folders and the Darknet ``obj.names`` layout.

A line is ``class cx cy w h`` normalised to the picture size (centre and size);
six values carry a confidence, seven or more (odd) a segment polygon, whose
bounding box is taken. Export writes an Ultralytics dataset with one class per
view and defect (``TOP_PASS`` ... ``SIDE_TOUCH``).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import yaml

from core.safepath import UnsafePath, inside
from interop.dataset import PICTURE_SUFFIXES, ForeignBox, ForeignDataset, ForeignImage, FormatError, group_of, number
from interop.formats._common import text_of

NAME_FILES = ("data.yaml", "data.yml", "dataset.yaml", "classes.txt", "obj.names", "obj.data")
SKIPPED_TXT = {"classes.txt", "obj.names", "train.txt", "valid.txt", "val.txt", "test.txt", "readme.txt", "notes.txt"}


def _names_from_yaml(path: Path) -> list[str]:
    try:
        data = yaml.safe_load(text_of(path))
    except RecursionError:  # brackets nested thousands deep
        raise FormatError(path, "", "this YAML nests too deeply to be a dataset file.") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise FormatError(path, where, f"this is not valid YAML ({getattr(error, 'problem', error)}).") from None
    if not isinstance(data, dict) or "names" not in data:
        raise FormatError(path, "", "a YOLO data.yaml needs a 'names' list or mapping of class names.")
    names = data["names"]
    values = names if isinstance(names, list) else list(names.values()) if isinstance(names, dict) else []
    if any(not isinstance(name, str | int | float) for name in values):
        # YAML aliases can nest a few hundred bytes into gigabytes of text once written out: names are plain words.
        raise FormatError(path, "names", "each class name must be a plain word or number, not a list or a mapping.")
    if isinstance(names, list):
        return [str(name) for name in names]
    if isinstance(names, dict):
        try:
            ids = sorted(int(key) for key in names)
        except (TypeError, ValueError):
            raise FormatError(path, "names", "class ids in 'names' must be whole numbers.") from None
        if ids != list(range(len(ids))):
            raise FormatError(path, "names", f"class ids must run 0..{len(ids) - 1} without gaps; found {ids}.")
        return [str(names[key]) for key in sorted(names, key=int)]
    raise FormatError(path, "names", "'names' must be a list or a mapping of id to name.")


def _names_from_lines(path: Path) -> list[str]:
    return [line.strip() for line in text_of(path).splitlines() if line.strip()]


def _names_from_obj_data(path: Path) -> list[str]:
    """Darknet ``obj.data``: ``names = data/obj.names``; the path is resolved by name next to it."""
    for number_, line in enumerate(text_of(path).splitlines(), start=1):
        key, _, value = line.partition("=")
        if key.strip() == "names":
            target = PurePosixPath(value.strip().replace("\\", "/"))
            for relative in (target, PurePosixPath(target.name)):
                try:
                    candidate = inside(path.parent, relative)
                except UnsafePath:
                    continue  # outside the folder: the same answer whether or not such a file exists
                if candidate.is_file():
                    return _names_from_lines(candidate)
            raise FormatError(path, f"line {number_}", f"the class name file {value.strip()!r} is not in the folder.")
    raise FormatError(path, "", "obj.data has no 'names = ...' line.")


def class_names(root: Path) -> tuple[list[str], Path]:
    for name in NAME_FILES:
        candidates = sorted(root.rglob(name), key=lambda p: len(p.parts))
        if not candidates:
            continue
        path = candidates[0]
        if path.suffix in (".yaml", ".yml"):
            return _names_from_yaml(path), path
        if path.name == "obj.data":
            return _names_from_obj_data(path), path
        return _names_from_lines(path), path
    raise FormatError(root, "", "no class names found: add classes.txt, data.yaml or obj.names next to the labels.")


def _picture_for(label: Path) -> Path | None:
    """Ultralytics pairs ``.../labels/x.txt`` with ``.../images/x.*``; Darknet keeps both in one folder."""
    parts = list(label.parts)
    folders = [label.parent]
    if "labels" in parts:
        index = len(parts) - 1 - parts[::-1].index("labels")
        folders.insert(0, Path(*parts[:index], "images", *parts[index + 1 : -1]))
    for folder in folders:
        for suffix in PICTURE_SUFFIXES:
            for candidate in (folder / f"{label.stem}{suffix}", folder / f"{label.stem}{suffix.upper()}"):
                if candidate.is_file():
                    return candidate
    return None


def _relative_name(label: Path, root: Path) -> PurePosixPath:
    """The label's path below its ``labels`` folder (or the root), the split folder left out."""
    relative = PurePosixPath(label.relative_to(root).as_posix())
    parts = list(relative.parts)
    if "labels" in parts:
        index = len(parts) - 1 - parts[::-1].index("labels")
        parts = parts[index + 1 :]
        if len(parts) > 1 and parts[0] in ("train", "val", "valid", "test"):
            parts = parts[1:]
    return PurePosixPath(*parts)


def parse_line(line: str, names: Sequence[str], file: Path, number_: int) -> ForeignBox | None:
    fields = line.split()
    if not fields:
        return None
    where = f"line {number_}"
    if len(fields) < 5 or (len(fields) > 6 and len(fields) % 2 == 0):
        raise FormatError(file, where, f"expected 'class cx cy w h' (5 values) or a polygon, found {len(fields)} values.")
    try:
        class_id = int(fields[0])
    except ValueError:
        raise FormatError(file, where, f"the class id {fields[0]!r} is not a whole number.") from None
    if not 0 <= class_id < len(names):
        raise FormatError(file, where, f"class id {class_id} is unknown: the class list has {len(names)} names (0..{len(names) - 1}).")
    values = [number(raw, file, where, "a coordinate") for raw in fields[1:]]
    coordinates = values[:4] if len(values) <= 5 else values
    for value in coordinates:
        if not 0.0 <= value <= 1.0:
            raise FormatError(file, where, f"value {value} is outside 0..1; YOLO coordinates are fractions of the picture size.")
    if len(values) <= 5:
        cx, cy, w, h = values[:4]
        if w <= 0 or h <= 0:
            raise FormatError(file, where, "the box has no width or height.")
        x, y = cx - w / 2, cy - h / 2
    else:
        xs, ys = values[0::2], values[1::2]
        x, y, w, h = min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)
        if w <= 0 or h <= 0:
            raise FormatError(file, where, "the polygon has no area.")
    return ForeignBox(label=names[class_id], x=x, y=y, width=w, height=h, normalized=True, where=f"{file.name} {where}")


def read(source: Path) -> ForeignDataset:
    """Read a YOLO folder (or its data.yaml / classes.txt / obj.data file)."""
    root = source.parent if source.is_file() else source
    if source.is_file() and source.suffix.lower() in (".yaml", ".yml"):
        names, names_file = _names_from_yaml(source), source  # whatever it is called: the file the user gave
    else:
        names, names_file = class_names(root)
    dataset = ForeignDataset(format="yolo", labels=names)
    label_files = sorted(
        path for path in root.rglob("*.txt") if path.name.lower() not in SKIPPED_TXT and path != names_file and path.is_file()
    )
    if not label_files:
        raise FormatError(root, "", "no label files (*.txt) found below this folder.")
    for label in label_files:
        text = text_of(label)
        boxes = [box for n, line in enumerate(text.splitlines(), start=1) if (box := parse_line(line, names, label, n))]
        picture = _picture_for(label)
        relative = _relative_name(label, root)
        name = str(relative.with_suffix(picture.suffix)) if picture else str(relative.with_suffix(""))
        dataset.images.append(ForeignImage(name=name, boxes=boxes, picture=picture, group=group_of(name)))
    return dataset


def write(dataset: ForeignDataset, out: Path, val_names: set[str] | None = None, include_pictures: bool = True) -> Path:
    """Write an Ultralytics dataset (``images/{train,val}``, ``labels/{train,val}``, ``data.yaml``).

    Every image needs its size. With ``include_pictures`` off only the labels, ``data.yaml``
    and ``classes.txt`` are written (what people ask for when they have the pictures). Pictures named in ``val_names``
    go to the validation split; when none are, the training pictures also serve
    as validation (Ultralytics needs a val split). A name that would leave its
    folder raises ``UnsafePath`` before anything of that picture is written.
    """
    names = list(dataset.labels)
    ids = {name: index for index, name in enumerate(names)}
    val_names = val_names or set()
    for image in dataset.images:
        split = "val" if image.name in val_names else "train"
        relative = PurePosixPath(image.name)
        picture_target = inside(out / "images" / split, relative)
        label_target = inside(out / "labels" / split, relative.with_suffix(".txt"))
        if include_pictures and image.picture is not None:
            picture_target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(image.picture, picture_target)
        label_target.parent.mkdir(parents=True, exist_ok=True)
        assert image.width and image.height, "export images carry their size"
        lines = []
        for box in image.boxes:
            cx = (box.x + box.width / 2) / image.width
            cy = (box.y + box.height / 2) / image.height
            lines.append(f"{ids[box.label]} {cx:.6f} {cy:.6f} {box.width / image.width:.6f} {box.height / image.height:.6f}")
        label_target.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    has_val = any(image.name in val_names for image in dataset.images)
    data = {
        "path": str(out.resolve()),
        "train": "images/train",
        "val": "images/val" if has_val else "images/train",
        "nc": len(names),
        "names": dict(enumerate(names)),
    }
    (out / "data.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (out / "classes.txt").write_text("".join(f"{name}\n" for name in names), encoding="utf-8")
    return out / "data.yaml"
