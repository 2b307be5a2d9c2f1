"""COCO instances JSON (``images``, ``annotations``, ``categories``; ``bbox`` is ``[x, y, w, h]`` in pixels)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from interop.dataset import ForeignBox, ForeignDataset, ForeignImage, FormatError, group_of, number
from interop.formats._common import load_json


def _require_list(data: dict[str, Any], key: str, path: Path) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise FormatError(path, f"key '{key}'", f"a COCO dataset needs an '{key}' list.")
    return value


def read(path: Path) -> ForeignDataset:
    data = load_json(path)
    if isinstance(data, list):
        raise FormatError(
            path,
            "top level",
            "this is a list of detections (COCO results), not a COCO dataset: export the instances JSON "
            "with 'images', 'annotations' and 'categories'.",
        )
    if not isinstance(data, dict):
        raise FormatError(path, "top level", "a COCO dataset is a JSON object with 'images', 'annotations' and 'categories'.")
    raw_images = _require_list(data, "images", path)
    raw_annotations = _require_list(data, "annotations", path)
    raw_categories = _require_list(data, "categories", path)
    categories: dict[Any, str] = {}
    for index, category in enumerate(raw_categories):
        if not isinstance(category, dict) or "id" not in category or "name" not in category:
            raise FormatError(path, f"categories[{index}]", "each category needs an 'id' and a 'name'.")
        if not _is_id(category["id"]):
            raise FormatError(path, f"categories[{index}]", f"the id {str(category['id'])[:40]} is not a number or a name.")
        categories[category["id"]] = str(category["name"])
    dataset = ForeignDataset(format="coco", labels=list(dict.fromkeys(categories.values())))
    images: dict[Any, ForeignImage] = {}
    for index, raw in enumerate(raw_images):
        if not isinstance(raw, dict) or "id" not in raw or "file_name" not in raw:
            raise FormatError(path, f"images[{index}]", "each image needs an 'id' and a 'file_name'.")
        width, height = raw.get("width"), raw.get("height")
        name = str(raw["file_name"]).replace("\\", "/")
        image = ForeignImage(
            name=name,
            width=int(width) if isinstance(width, (int, float)) and width > 0 else None,
            height=int(height) if isinstance(height, (int, float)) and height > 0 else None,
            group=group_of(name),
        )
        if not _is_id(raw["id"]):
            raise FormatError(path, f"images[{index}]", f"the id {str(raw['id'])[:40]} is not a number or a name.")
        images[raw["id"]] = image
        dataset.images.append(image)
    for index, raw in enumerate(raw_annotations):
        where = f"annotations[{index}] (id {str(raw.get('id'))[:40]})" if isinstance(raw, dict) else f"annotations[{index}]"
        if not isinstance(raw, dict):
            raise FormatError(path, where, "each annotation must be an object.")
        if not _is_id(raw.get("image_id")) or raw.get("image_id") not in images:
            raise FormatError(path, where, f"image_id {str(raw.get('image_id'))[:40]} is not in 'images'.")
        if not _is_id(raw.get("category_id")) or raw.get("category_id") not in categories:
            raise FormatError(path, where, f"category_id {str(raw.get('category_id'))[:40]} is not in 'categories'.")
        bbox = raw.get("bbox")
        if not isinstance(bbox, list) or len(bbox) != 4:
            raise FormatError(path, where, "'bbox' must be [x, y, width, height].")
        x, y, w, h = (number(value, path, where, "a bbox value") for value in bbox)
        if w <= 0 or h <= 0:
            raise FormatError(path, where, f"the bbox {bbox} has no width or height.")
        attributes = {str(k): str(v) for k, v in (raw.get("attributes") or {}).items()} if isinstance(raw.get("attributes"), dict) else {}
        if _true(raw.get("iscrowd")):
            attributes["iscrowd"] = "1"
        images[raw["image_id"]].boxes.append(
            ForeignBox(label=categories[raw["category_id"]], x=x, y=y, width=w, height=h, attributes=attributes, where=where)
        )
    return dataset


def _is_id(value: Any) -> bool:
    """COCO ids are numbers (some tools write names); a list or an object cannot name anything."""
    return isinstance(value, int | float | str) and not isinstance(value, bool)


def _true(value: Any) -> bool:
    """COCO's ``iscrowd`` as tools write it: 0/1, true/false, or the strings "0", "1", "false", "true"."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def to_dict(dataset: ForeignDataset) -> dict[str, Any]:
    categories = [{"id": index + 1, "name": name, "supercategory": name.split("_")[-1]} for index, name in enumerate(dataset.labels)]
    ids = {name: index + 1 for index, name in enumerate(dataset.labels)}
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for image_id, image in enumerate(dataset.images, start=1):
        images.append({"id": image_id, "file_name": image.name, "width": image.width, "height": image.height})
        for box in image.boxes:
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": ids[box.label],
                    "bbox": [round(box.x, 3), round(box.y, 3), round(box.width, 3), round(box.height, 3)],
                    "area": round(box.width * box.height, 3),
                    "iscrowd": 0,
                    "segmentation": [],
                    "attributes": dict(box.attributes),
                }
            )
    return {
        "info": {"description": "Wiresag export", "version": "1.0"},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": categories,
    }


def write(dataset: ForeignDataset, path: Path) -> Path:
    path.write_text(json.dumps(to_dict(dataset), ensure_ascii=False, indent=1), encoding="utf-8")
    return path
