"""Run inside the consumers' environment (label-studio-sdk, Datumaro): read Wiresag's exports back.

    python read_exports.py FORMAT FOLDER   ->  JSON on stdout: {picture name: [[label, x, y, w, h], ...]}

FORMAT is ``labelstudio`` (label-studio-sdk's converter to COCO), ``coco-datumaro`` or
``voc-datumaro`` (Datumaro's importers). Names are the picture paths the consumer reports,
relative to the export; boxes are in pixels, as each consumer gives them.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def label_studio(folder: Path) -> dict[str, list[list[object]]]:
    from label_studio_sdk.converter import Converter

    converter = Converter(
        config=(folder / "label_config.xml").read_text(encoding="utf-8"), project_dir=str(folder), download_resources=False
    )
    with tempfile.TemporaryDirectory() as out:
        converter.convert_to_coco(str(folder / "tasks.json"), out, is_dir=False)
        coco = json.loads((Path(out) / "result.json").read_text(encoding="utf-8"))
    names = {category["id"]: category["name"] for category in coco["categories"]}
    files = {image["id"]: image["file_name"] for image in coco["images"]}
    found: dict[str, list[list[object]]] = {name: [] for name in files.values()}
    for box in coco["annotations"]:
        found[files[box["image_id"]]].append([names[box["category_id"]], *box["bbox"]])
    return found


def datumaro(folder: Path, format_name: str) -> dict[str, list[list[object]]]:
    import datumaro as dm

    dataset = dm.Dataset.import_from(str(folder), format_name)
    labels = dataset.categories()[dm.AnnotationType.label]
    found: dict[str, list[list[object]]] = {}
    for item in dataset:
        found[item.id] = [[labels[a.label].name, a.x, a.y, a.w, a.h] for a in item.annotations if a.type == dm.AnnotationType.bbox]
    return found


if __name__ == "__main__":
    kind, source = sys.argv[1], Path(sys.argv[2])
    if kind == "labelstudio":
        result = label_studio(source)
    elif kind == "coco-datumaro":
        result = datumaro(source, "coco")
    elif kind == "voc-datumaro":
        result = datumaro(source, "voc")
    else:
        raise SystemExit(f"unknown consumer {kind}")
    json.dump(result, sys.stdout)
