"""Recognise a foreign source and read it with the right format module (no Django here)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from xml.etree import ElementTree

from interop.dataset import ForeignDataset, FormatError, attach_pictures
from interop.formats import coco, csv, cvat, labelstudio, legacy, voc, yolo

FORMAT_NAMES: dict[str, str] = {
    "legacy": "Desktop tool (annotations.db + photo/)",
    "yolo": "YOLO (data.yaml, classes.txt or obj.names)",
    "coco": "COCO instances JSON",
    "voc": "Pascal VOC XML",
    "cvat": "CVAT for images 1.1 XML",
    "labelstudio": "Label Studio JSON",
    "csv": "CSV (desktop tool columns)",
}
logger = logging.getLogger("wiresag.interop")
YOLO_MARKERS = ("data.yaml", "data.yml", "classes.txt", "obj.names", "obj.data")


def format_problem(format_name: str) -> str | None:
    """Why ``format_name`` cannot be read, as a sentence, or None for a known format (or ``auto``)."""
    if format_name in ("auto", "", *FORMAT_NAMES):
        return None
    return f"{format_name!r} is not a format Wiresag reads; choose one of {', '.join(FORMAT_NAMES)}, or let Wiresag recognise it (auto)."


def _json_kind(path: Path) -> str:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return "coco"  # the COCO reader reports where the JSON breaks
    if isinstance(data, list) and data and isinstance(data[0], dict) and "data" in data[0]:
        return "labelstudio"
    if isinstance(data, dict) and "data" in data and "images" not in data:
        return "labelstudio"
    return "coco"


def _xml_kind(path: Path) -> str:
    try:
        for _event, element in ElementTree.iterparse(path, events=("start",)):
            return "cvat" if element.tag == "annotations" else "voc"
    except ElementTree.ParseError:
        pass
    return "voc"


def detect(source: Path) -> tuple[str, Path]:
    """The format of ``source`` and the file or folder its reader takes."""
    if not source.exists():
        raise FormatError(source, "", "there is no file or folder of this name; check the path (it is read on the server).")
    if source.is_file():
        suffix = source.suffix.lower()
        if suffix in (".db", ".sqlite", ".sqlite3"):
            return "legacy", source
        if suffix == ".json":
            return _json_kind(source), source
        if suffix == ".xml":
            return _xml_kind(source), source
        if suffix == ".csv":
            return "csv", source
        if suffix in (".yaml", ".yml"):
            return "yolo", source  # a dataset yaml of any name (coco8.yaml): its class names are read from it
        if suffix in (".txt", ".names", ".data"):
            return "yolo", source.parent
        raise FormatError(source, "", f"files ending in {suffix or '(nothing)'} are not an annotation format Wiresag reads.")
    for name in ("annotations.db",):
        found = sorted(source.rglob(name), key=lambda p: len(p.parts))
        if found:
            return "legacy", found[0]
    if any(next(iter(source.rglob(marker)), None) for marker in YOLO_MARKERS):
        return "yolo", source
    for pattern, kind in (("*.json", "json"), ("*.xml", "xml"), ("*.csv", "csv")):
        files = sorted(source.rglob(pattern), key=lambda p: (len(p.parts), p.name))
        files = [f for f in files if f.name != "label_config.xml"]
        if not files:
            continue
        if kind == "json":
            return _json_kind(files[0]), files[0]
        if kind == "xml":
            xml_kind = _xml_kind(files[0])
            return xml_kind, files[0] if xml_kind == "cvat" else source
        return "csv", files[0]
    raise FormatError(source, "", "no annotation file found here (annotations.db, data.yaml, classes.txt, *.json, *.xml or *.csv).")


def coco_subsets(folder: Path) -> dict[str, Path]:
    """Several COCO files of one download, by subset: Roboflow's ``train/_annotations.coco.json``,
    ``valid/...``, ``test/...``, or Datumaro's ``annotations/instances_<subset>.json``."""
    roboflow = sorted(folder.rglob("_annotations.coco.json"))
    if len(roboflow) > 1:
        return {path.parent.name: path for path in roboflow}
    datumaro = sorted(folder.rglob("instances_*.json"))
    return {path.stem.removeprefix("instances_"): path for path in datumaro if _json_kind(path) == "coco"}


def read_coco_subsets(subsets: dict[str, Path]) -> ForeignDataset:
    """One import of every subset; each box keeps its subset as the attribute ``subset``."""
    merged = ForeignDataset(format="coco")
    counts: list[str] = []
    for subset, path in subsets.items():
        part = coco.read(path)
        counts.append(f"{subset} {len(part.images)}")
        for image in part.images:
            for box in image.boxes:
                box.attributes["subset"] = subset
        merged.images.extend(part.images)
        merged.labels.extend(label for label in part.labels if label not in merged.labels)
        merged.notes.extend(f"{subset}: {note}" for note in part.notes)
    per_subset = ", ".join(counts)
    merged.notes.append(f"Read {len(subsets)} COCO files as one import (pictures per subset: {per_subset}); each box keeps its subset.")
    return merged


def _read_as(format_name: str, source: Path, target: Path, pictures_root: Path | None) -> ForeignDataset:
    if format_name == "legacy":
        return legacy.read(target, pictures_root or target.parent)
    if format_name == "yolo":
        return yolo.read(target)
    if format_name == "coco" and source.is_dir() and len(subsets := coco_subsets(source)) > 1:
        return read_coco_subsets(subsets)
    reader = {"coco": coco.read, "voc": voc.read, "cvat": cvat.read, "labelstudio": labelstudio.read, "csv": csv.read}[format_name]
    return reader(target)


def read_source(source: Path, format_name: str = "auto", pictures_root: Path | None = None) -> ForeignDataset:
    """Read ``source`` (a file or folder) and attach the pictures found under it or ``pictures_root``."""
    if problem := format_problem(format_name):
        raise FormatError(source, "", problem)
    detected, target = detect(source)
    if format_name not in ("auto", "", detected):
        target = source
    else:
        format_name = detected
    try:
        dataset = _read_as(format_name, source, target, pictures_root)
    except FormatError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError, OSError) as error:
        # A reader met something it does not expect: still a sentence for the user, and the trace for us.
        logger.exception("reading %s as %s failed", target, format_name)
        raise FormatError(
            target,
            "",
            f"this could not be read as {FORMAT_NAMES[format_name]} ({type(error).__name__}); check that the file is one, "
            "or export it from its tool again. The server log has the details.",
        ) from None
    folder = source if source.is_dir() else source.parent
    attach_pictures(dataset, folder)
    if pictures_root is not None and pictures_root != folder:
        attach_pictures(dataset, pictures_root)
    return dataset
