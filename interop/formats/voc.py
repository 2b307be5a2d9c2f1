"""Pascal VOC XML: one ``<annotation>`` per picture, ``<bndbox>`` corners 1-based and inclusive.

A VOC box from ``xmin`` to ``xmax`` covers pixels ``xmin..xmax`` counted from 1,
so in our pixel coordinates (0-based, right edge exclusive) it starts at
``xmin - 1`` and is ``xmax - xmin + 1`` wide. ``<part>`` boxes (head, hand) are
not objects and are left out.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from core.safepath import inside
from interop.dataset import ForeignBox, ForeignDataset, ForeignImage, FormatError, group_of, number
from interop.formats._common import fmt, load_xml

FLAG_TAGS = ("pose", "truncated", "difficult", "occluded")


def read_file(path: Path, dataset: ForeignDataset) -> None:
    root = load_xml(path, "annotation", "Pascal VOC")
    filename = (root.findtext("filename") or "").strip().replace("\\", "/")
    if not filename:
        raise FormatError(path, "<filename>", "a VOC annotation needs the picture's <filename>.")
    width = root.findtext("size/width")
    height = root.findtext("size/height")
    image = ForeignImage(
        name=filename,
        width=int(number(width, path, "<size>/<width>", "width")) if width else None,
        height=int(number(height, path, "<size>/<height>", "height")) if height else None,
        group=group_of(filename),
    )
    for index, element in enumerate(root.findall("object"), start=1):
        where = f"<object> {index}"
        name = (element.findtext("name") or "").strip()
        if not name:
            raise FormatError(path, where, "the object has no <name>.")
        bndbox = element.find("bndbox")
        if bndbox is None:
            raise FormatError(path, where, "the object has no <bndbox>.")
        corners = {}
        for tag in ("xmin", "ymin", "xmax", "ymax"):
            raw = bndbox.findtext(tag)
            if raw is None:
                raise FormatError(path, f"{where} <bndbox>", f"<{tag}> is missing.")
            corners[tag] = number(raw.strip(), path, f"{where} <{tag}>", tag)
        if corners["xmax"] < corners["xmin"] or corners["ymax"] < corners["ymin"]:
            raise FormatError(path, where, "xmax/ymax lie before xmin/ymin.")
        attributes = {tag: (element.findtext(tag) or "").strip() for tag in FLAG_TAGS if element.find(tag) is not None}
        for attribute in element.findall("attributes/attribute"):
            attributes[(attribute.findtext("name") or "").strip()] = (attribute.findtext("value") or "").strip()
        image.boxes.append(
            ForeignBox(
                label=name,
                x=corners["xmin"] - 1,
                y=corners["ymin"] - 1,
                width=corners["xmax"] - corners["xmin"] + 1,
                height=corners["ymax"] - corners["ymin"] + 1,
                attributes=attributes,
                where=f"{path.name} {where}",
            )
        )
        if element.find("part") is not None:
            dataset.notes.append(f"{path.name} {where}: its <part> boxes are not objects and were left out.")
    for box in image.boxes:
        if box.label not in dataset.labels:
            dataset.labels.append(box.label)
    dataset.images.append(image)


def read(source: Path) -> ForeignDataset:
    """Read one VOC XML file or every ``*.xml`` below a folder."""
    dataset = ForeignDataset(format="voc")
    files = [source] if source.is_file() else sorted(source.rglob("*.xml"))
    if not files:
        raise FormatError(source, "", "no VOC *.xml files found below this folder.")
    for path in files:
        read_file(path, dataset)
    return dataset


def _element(parent: ElementTree.Element, tag: str, text: str) -> ElementTree.Element:
    child = ElementTree.SubElement(parent, tag)
    child.text = text
    return child


def write(dataset: ForeignDataset, out: Path) -> Path:
    """Write ``Annotations/<name>.xml`` per picture (the picture's folder kept in the name) and the list of
    them in ``ImageSets/Main/default.txt``, as VOC readers expect; never outside ``out``."""
    folder = out / "Annotations"
    ids = [str(PurePosixPath(image.name).with_suffix("")) for image in dataset.images]
    image_sets = out / "ImageSets" / "Main"
    image_sets.mkdir(parents=True, exist_ok=True)
    (image_sets / "default.txt").write_text("".join(f"{name}\n" for name in ids), encoding="utf-8")
    # Datumaro (and so CVAT) refuses a label outside VOC's 20 classes unless labelmap.txt declares it.
    labels = "".join(f"{label}:::\n" for label in dataset.labels)
    (out / "labelmap.txt").write_text(f"# label:color_rgb:parts:actions\n{labels}", encoding="utf-8")
    for image in dataset.images:
        target = inside(folder, PurePosixPath(image.name).with_suffix(".xml"))
        root = ElementTree.Element("annotation")
        _element(root, "folder", image.group)
        _element(root, "filename", image.name)
        size = ElementTree.SubElement(root, "size")
        _element(size, "width", str(image.width))
        _element(size, "height", str(image.height))
        _element(size, "depth", "3")
        _element(root, "segmented", "0")
        for box in image.boxes:
            element = ElementTree.SubElement(root, "object")
            _element(element, "name", box.label)
            _element(element, "pose", "Unspecified")
            _element(element, "truncated", "0")
            _element(element, "difficult", "0")
            bndbox = ElementTree.SubElement(element, "bndbox")
            _element(bndbox, "xmin", fmt(box.x + 1))
            _element(bndbox, "ymin", fmt(box.y + 1))
            _element(bndbox, "xmax", fmt(box.x + box.width))
            _element(bndbox, "ymax", fmt(box.y + box.height))
            attributes = ElementTree.SubElement(element, "attributes")
            for name, value in box.attributes.items():
                attribute = ElementTree.SubElement(attributes, "attribute")
                _element(attribute, "name", name)
                _element(attribute, "value", value)
        ElementTree.indent(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        ElementTree.ElementTree(root).write(target, encoding="utf-8", xml_declaration=True)
    return folder
