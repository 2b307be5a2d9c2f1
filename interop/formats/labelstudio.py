"""Label Studio JSON export: tasks with several annotators' results and predictions, boxes in percent.

``x``, ``y``, ``width``, ``height`` are percent of ``original_width`` and
``original_height``; a rotated rectangle (rotation about its top-left corner)
becomes its axis-aligned bounding box. Each box carries ``annotator`` (who
completed it) and ``origin`` (``annotation`` or ``prediction``) as attributes,
so the label mapping can keep one annotator or skip predictions; per-region
choices (our ``view`` and ``defect``) become attributes too.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

from interop.dataset import ForeignBox, ForeignDataset, ForeignImage, FormatError, number
from interop.formats._common import load_json

#: Label Studio prefixes uploaded file names with 8 hex digits and a dash.
UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-")


def picture_name(reference: str) -> str:
    """The file name of a task's picture, without URL, query, upload folder or upload prefix."""
    path = unquote(urlparse(reference).path) if "://" in reference else reference.split("?", 1)[0]
    query = urlparse(reference).query
    if query.startswith("d="):
        path = unquote(query[2:])
    return UPLOAD_PREFIX.sub("", PurePosixPath(path.replace("\\", "/")).name)


def _box(result: dict[str, Any], path: Path, where: str) -> tuple[float, float, float, float, int | None, int | None]:
    """The box in pixels and the picture's size; without ``original_width``/``original_height`` (predictions,
    the 0.x ``completions`` format) the box stays in shares of the picture and its size is None."""
    value = result.get("value")
    if not isinstance(value, dict):
        raise FormatError(path, where, "the result has no 'value'.")
    width, height = result.get("original_width"), result.get("original_height")
    x, y, w, h = (number(value.get(key), path, where, key) for key in ("x", "y", "width", "height"))
    rotation = number(value.get("rotation", 0) or 0, path, where, "rotation")
    if not isinstance(width, (int, float)) or not isinstance(height, (int, float)) or width <= 0 or height <= 0:
        if rotation:
            raise FormatError(path, where, "a rotated box needs original_width/original_height to be turned upright.")
        if w <= 0 or h <= 0:
            raise FormatError(path, where, "the box has no width or height.")
        return x / 100, y / 100, w / 100, h / 100, None, None
    px, py, pw, ph = x / 100 * width, y / 100 * height, w / 100 * width, h / 100 * height
    if rotation:
        angle = math.radians(rotation)
        corners = [(0.0, 0.0), (pw, 0.0), (pw, ph), (0.0, ph)]
        xs = [px + cx * math.cos(angle) - cy * math.sin(angle) for cx, cy in corners]
        ys = [py + cx * math.sin(angle) + cy * math.cos(angle) for cx, cy in corners]
        px, py, pw, ph = min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)
    if pw <= 0 or ph <= 0:
        raise FormatError(path, where, "the box has no width or height.")
    return px, py, pw, ph, int(width), int(height)


#: Region types that are shapes but not boxes: left out, and counted in a note.
OTHER_SHAPES = ("polygonlabels", "polygon", "keypointlabels", "keypoint", "brushlabels", "brush", "ellipselabels", "ellipse")


def _read_results(results: list[Any], attributes: dict[str, str], image: ForeignImage, path: Path, where: str) -> int:
    """Add the rectangles of ``results`` to ``image``; return how many other shapes were left out."""
    others = 0
    choices: dict[str, dict[str, str]] = {}
    for result in results:
        if isinstance(result, dict) and result.get("type") in ("choices", "textarea") and isinstance(result.get("value"), dict):
            values = result["value"].get("choices") or result["value"].get("text") or []
            choices.setdefault(str(result.get("id", "")), {})[str(result.get("from_name", "choice"))] = ",".join(map(str, values))
    task_choices = choices.pop("", {})
    for index, result in enumerate(results):
        result_where = f"{where} result {index + 1}"
        if not isinstance(result, dict):
            raise FormatError(path, result_where, "each result must be an object.")
        if result.get("type") not in ("rectanglelabels", "labels", "rectangle"):
            others += result.get("type") in OTHER_SHAPES
            continue
        value = result["value"] if isinstance(result.get("value"), dict) else {}
        labels = value.get("rectanglelabels") or value.get("labels") or []
        if not labels:
            raise FormatError(path, result_where, "the rectangle has no label.")
        x, y, w, h, width, height = _box(result, path, result_where)
        image.width, image.height = image.width or width, image.height or height
        box_attributes = {**attributes, **task_choices, **choices.get(str(result.get("id", "")), {})}
        normalized = width is None  # in shares of the picture: its size comes from the picture at import
        box = ForeignBox(str(labels[0]), x, y, w, h, attributes=box_attributes, normalized=normalized, where=result_where)
        image.boxes.append(box)
    return others


def read(path: Path) -> ForeignDataset:
    data = load_json(path)
    tasks = [data] if isinstance(data, dict) else data
    if not isinstance(tasks, list):
        raise FormatError(path, "top level", "a Label Studio export is a list of tasks.")
    dataset = ForeignDataset(format="labelstudio")
    others = 0
    for number_, task in enumerate(tasks, start=1):
        where = f"task {number_} (id {task.get('id')})" if isinstance(task, dict) else f"task {number_}"
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise FormatError(path, where, "each task needs a 'data' object naming its picture.")
        references = [value for value in task["data"].values() if isinstance(value, str) and value]
        if not references:
            raise FormatError(path, where, "the task's 'data' names no picture.")
        reference = str(task["data"].get("image") or references[0])
        relative = "://" not in reference and not reference.startswith("/") and "?" not in reference
        name = reference.replace("\\", "/") if relative else picture_name(reference)
        image = ForeignImage(name=name, group=str(task["data"].get("wire_group") or ""))
        for key, origin in (("annotations", "annotation"), ("completions", "annotation"), ("predictions", "prediction")):
            if not isinstance(task.get(key) or [], list):
                raise FormatError(path, where, f"'{key}' must be a list.")
            for item_number, item in enumerate(task.get(key) or [], start=1):
                item_where = f"{where} {key[:-1]} {item_number}"
                if not isinstance(item, dict) or not isinstance(item.get("result", []), list):
                    raise FormatError(path, item_where, "'result' must be a list.")
                if item.get("was_cancelled"):
                    continue
                attributes = {"origin": origin}
                if origin == "annotation" and item.get("completed_by") is not None:
                    completed = item["completed_by"]
                    attributes["annotator"] = str(completed.get("email", completed.get("id")) if isinstance(completed, dict) else completed)
                if origin == "prediction" and item.get("model_version"):
                    attributes["model_version"] = str(item["model_version"])
                others += _read_results(item.get("result", []), attributes, image, path, item_where)
        for box in image.boxes:
            if box.label not in dataset.labels:
                dataset.labels.append(box.label)
        dataset.images.append(image)
    if others:
        dataset.notes.append(f"{others} shapes that are not boxes (polygons, keypoints, brushes, ellipses) were left out.")
    return dataset


def to_tasks(dataset: ForeignDataset) -> list[dict[str, Any]]:
    tasks = []
    for index, image in enumerate(dataset.images, start=1):
        assert image.width and image.height, "export images carry their size"
        results: list[dict[str, Any]] = []
        for number_, box in enumerate(image.boxes, start=1):
            region = f"r{index}-{number_}"
            common = {"id": region, "to_name": "image", "original_width": image.width, "original_height": image.height, "image_rotation": 0}
            results.append(
                {
                    **common,
                    "from_name": "label",
                    "type": "rectanglelabels",
                    "value": {
                        "x": box.x / image.width * 100,
                        "y": box.y / image.height * 100,
                        "width": box.width / image.width * 100,
                        "height": box.height / image.height * 100,
                        "rotation": 0,
                        "rectanglelabels": [box.label],
                    },
                }
            )
            for name, value in box.attributes.items():
                results.append({**common, "from_name": name, "type": "choices", "value": {"choices": [value]}})
        tasks.append(
            {
                "id": index,
                "data": {"image": f"images/{image.name}", "wire_group": image.group},
                "annotations": [{"id": index, "result": results, "was_cancelled": False}],
                "predictions": [],
            }
        )
    return tasks


def label_config(dataset: ForeignDataset) -> str:
    """The labelling interface that shows these boxes and their per-region choices in Label Studio."""
    labels = "".join(f'    <Label value="{name}"/>\n' for name in dataset.labels)
    names = sorted({name for image in dataset.images for box in image.boxes for name in box.attributes})
    values = {
        name: sorted({box.attributes[name] for image in dataset.images for box in image.boxes if name in box.attributes}) for name in names
    }
    choices = "".join(
        f'  <Choices name="{name}" toName="image" perRegion="true">\n'
        + "".join(f'    <Choice value="{value}"/>\n' for value in values[name])
        + "  </Choices>\n"
        for name in names
    )
    rectangles = f'  <RectangleLabels name="label" toName="image">\n{labels}  </RectangleLabels>\n'
    return f'<View>\n  <Image name="image" value="$image"/>\n{rectangles}{choices}</View>\n'


def write(dataset: ForeignDataset, path: Path) -> Path:
    path.write_text(json.dumps(to_tasks(dataset), ensure_ascii=False, indent=1), encoding="utf-8")
    path.with_name("label_config.xml").write_text(label_config(dataset), encoding="utf-8")
    return path
