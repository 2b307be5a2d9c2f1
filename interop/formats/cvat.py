"""CVAT for images 1.1 XML: ``<image>`` elements with ``<box xtl ytl xbr ybr>`` in float pixel corners."""

from __future__ import annotations

import math
from pathlib import Path
from xml.etree import ElementTree

from interop.dataset import ForeignBox, ForeignDataset, ForeignImage, FormatError, group_of, number
from interop.formats._common import fmt, load_xml

#: The attribute that carries CVAT's own ``occluded`` flag (a user attribute may be called "occluded" too).
OCCLUDED = "cvat_occluded"
OTHER_SHAPES = ("polygon", "polyline", "points", "ellipse", "mask", "cuboid", "skeleton", "tag")


def read(path: Path) -> ForeignDataset:
    root = load_xml(path, "annotations", "CVAT for images 1.1")
    dataset = ForeignDataset(format="cvat")
    for label_element in root.iterfind("meta/*/labels/label"):
        name = (label_element.findtext("name") or "").strip()
        if name and name not in dataset.labels:
            dataset.labels.append(name)
    images = root.findall("image")
    if not images and root.find("track") is not None:
        raise FormatError(path, "<track>", "this is a CVAT video export; export the task as 'CVAT for images 1.1'.")
    skipped = rotated = 0
    for number_, element in enumerate(images, start=1):
        where = f"<image> {number_} (name {element.get('name')!r})"
        name = (element.get("name") or "").replace("\\", "/")
        if not name:
            raise FormatError(path, where, "the image has no 'name' attribute.")
        width, height = element.get("width"), element.get("height")
        image = ForeignImage(
            name=name,
            width=int(number(width, path, where, "width")) if width else None,
            height=int(number(height, path, where, "height")) if height else None,
            group=group_of(name),
        )
        for box_number, box in enumerate(element.findall("box"), start=1):
            box_where = f"{where} <box> {box_number}"
            label = box.get("label")
            if not label:
                raise FormatError(path, box_where, "the box has no 'label'.")
            xtl, ytl, xbr, ybr = (number(box.get(key), path, box_where, key) for key in ("xtl", "ytl", "xbr", "ybr"))
            if xbr <= xtl or ybr <= ytl:
                raise FormatError(path, box_where, "xbr/ybr must lie right of and below xtl/ytl.")
            attributes = {attribute.get("name", ""): (attribute.text or "").strip() for attribute in box.findall("attribute")}
            if box.get("occluded") == "1":
                attributes[OCCLUDED] = "1"  # CVAT's own flag, apart from a user attribute that may be called "occluded"
            rotation = number(box.get("rotation") or 0, path, box_where, "rotation")
            if rotation % 360:
                xtl, ytl, xbr, ybr = _upright(xtl, ytl, xbr, ybr, rotation)
                rotated += 1
            image.boxes.append(
                ForeignBox(label=label, x=xtl, y=ytl, width=xbr - xtl, height=ybr - ytl, attributes=attributes, where=box_where)
            )
            if label not in dataset.labels:
                dataset.labels.append(label)
        skipped += sum(len(element.findall(tag)) for tag in OTHER_SHAPES)
        dataset.images.append(image)
    if skipped:
        dataset.notes.append(f"{skipped} shapes that are not boxes (polygons, polylines, points ...) were left out.")
    if rotated:
        dataset.notes.append(f"{rotated} rotated boxes were imported as the upright boxes around them.")
    return dataset


def _upright(xtl: float, ytl: float, xbr: float, ybr: float, degrees: float) -> tuple[float, float, float, float]:
    """The upright box around a box CVAT rotated by ``degrees`` about its centre."""
    angle = math.radians(degrees)
    cx, cy, w, h = (xtl + xbr) / 2, (ytl + ybr) / 2, xbr - xtl, ybr - ytl
    half_w = (abs(w * math.cos(angle)) + abs(h * math.sin(angle))) / 2
    half_h = (abs(w * math.sin(angle)) + abs(h * math.cos(angle))) / 2
    return cx - half_w, cy - half_h, cx + half_w, cy + half_h


def write(dataset: ForeignDataset, path: Path) -> Path:
    root = ElementTree.Element("annotations")
    ElementTree.SubElement(root, "version").text = "1.1"
    meta = ElementTree.SubElement(root, "meta")
    task = ElementTree.SubElement(meta, "task")
    ElementTree.SubElement(task, "name").text = "Wiresag export"
    ElementTree.SubElement(task, "size").text = str(len(dataset.images))
    labels = ElementTree.SubElement(task, "labels")
    attribute_names = sorted({name for image in dataset.images for box in image.boxes for name in box.attributes} - {OCCLUDED})
    for name in dataset.labels:
        label = ElementTree.SubElement(labels, "label")
        ElementTree.SubElement(label, "name").text = name
        attributes = ElementTree.SubElement(label, "attributes")
        for attribute_name in attribute_names:
            attribute = ElementTree.SubElement(attributes, "attribute")
            ElementTree.SubElement(attribute, "name").text = attribute_name
            ElementTree.SubElement(attribute, "input_type").text = "text"
    for index, image in enumerate(dataset.images):
        element = ElementTree.SubElement(
            root, "image", {"id": str(index), "name": image.name, "width": str(image.width), "height": str(image.height)}
        )
        for box in image.boxes:
            shape = ElementTree.SubElement(
                element,
                "box",
                {
                    "label": box.label,
                    "occluded": "1" if box.attributes.get(OCCLUDED) == "1" else "0",
                    "source": "manual",
                    "xtl": fmt(box.x),
                    "ytl": fmt(box.y),
                    "xbr": fmt(box.x + box.width),
                    "ybr": fmt(box.y + box.height),
                    "z_order": "0",
                },
            )
            for name, value in box.attributes.items():
                if name != OCCLUDED:
                    ElementTree.SubElement(shape, "attribute", {"name": name}).text = value
    ElementTree.indent(root)
    ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path
