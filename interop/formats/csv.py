"""CSV with one box per row, in the columns of the desktop tool's inference CSV.

``image_name, bbox_x1, bbox_y1, bbox_x2, bbox_y2, view, view_confidence,
defect, defect_confidence, success, error`` (corners in pixels), followed by
``wire_group, image_width, image_height, review_state`` (set on model boxes waiting for review or rejected). Reading also accepts
``x, y, width, height`` columns and a ``label`` column instead of ``defect``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from core.inspection.reports import DESKTOP_COLUMNS, csv_cell, csv_text_of
from interop.dataset import ForeignBox, ForeignDataset, ForeignImage, FormatError, group_of, number
from interop.formats._common import fmt, text_of

# The desktop tool's inference columns (shared with the inspection reports), then ours.
COLUMNS = (*DESKTOP_COLUMNS, "wire_group", "image_width", "image_height", "review_state")
FALSE = {"false", "0", "no"}


def read(path: Path) -> ForeignDataset:
    text = text_of(path)
    reader = csv.DictReader(text.splitlines())
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    corners = {"bbox_x1", "bbox_y1", "bbox_x2", "bbox_y2"} <= set(header)
    sizes = {"x", "y", "width", "height"} <= set(header)
    label_column = "defect" if "defect" in header else "label" if "label" in header else None
    if "image_name" not in header or not (corners or sizes) or label_column is None:
        raise FormatError(
            path,
            "line 1",
            "the header needs image_name, bbox_x1, bbox_y1, bbox_x2, bbox_y2 (or x, y, width, height) and defect (or label).",
        )
    dataset = ForeignDataset(format="csv")
    images: dict[tuple[str, str], ForeignImage] = {}
    for row in reader:
        where = f"line {reader.line_num}"
        if (row.get("success") or "").strip().lower() in FALSE:
            continue
        name = csv_text_of((row.get("image_name") or "").strip()).replace("\\", "/")
        if not name:
            raise FormatError(path, where, "image_name is empty.")
        group = csv_text_of((row.get("wire_group") or "").strip()) or group_of(name)
        image = images.get((group, name))
        if image is None:
            width, height = (row.get("image_width") or "").strip(), (row.get("image_height") or "").strip()
            image = ForeignImage(
                name=name,
                group=group,
                width=int(number(width, path, where, "image_width")) if width else None,
                height=int(number(height, path, where, "image_height")) if height else None,
            )
            images[(group, name)] = image
            dataset.images.append(image)
        if corners:
            x1, y1, x2, y2 = (number(row.get(key), path, where, key) for key in ("bbox_x1", "bbox_y1", "bbox_x2", "bbox_y2"))
            x, y, w, h = x1, y1, x2 - x1, y2 - y1
        else:
            x, y, w, h = (number(row.get(key), path, where, key) for key in ("x", "y", "width", "height"))
        if w <= 0 or h <= 0:
            raise FormatError(path, where, "the box has no width or height.")
        label = csv_text_of((row.get(label_column) or "").strip())
        attributes = {"view": csv_text_of(row["view"].strip())} if (row.get("view") or "").strip() else {}
        if (row.get("review_state") or "").strip():
            attributes["review_state"] = csv_text_of(row["review_state"].strip())
        image.boxes.append(ForeignBox(label=label, x=x, y=y, width=w, height=h, attributes=attributes, where=where))
        if label not in dataset.labels:
            dataset.labels.append(label)
    return dataset


def write(dataset: ForeignDataset, path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for image in dataset.images:
            for box in image.boxes:
                writer.writerow(
                    [
                        csv_cell(value)
                        for value in (
                            image.name,
                            fmt(box.x),
                            fmt(box.y),
                            fmt(box.x + box.width),
                            fmt(box.y + box.height),
                            box.attributes.get("view", ""),
                            "",
                            box.attributes.get("defect", box.label),
                            "",
                            "True",
                            "",
                            image.group,
                            image.width,
                            image.height,
                            box.attributes.get("review_state", ""),
                        )
                    ]
                )
    return path
