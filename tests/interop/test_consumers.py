"""Exports opened by the tools other teams use, installed from PyPI in their own environment.

label-studio-sdk's converter reads the Label Studio export (it is what Label Studio itself uses to
turn a project into COCO or YOLO); Datumaro, the library CVAT imports with, reads the COCO and the
Pascal VOC export. pycocotools and Ultralytics' dataset checker are run in test_export.py. Each
consumer must find every picture with every box, under our class names, at our coordinates.
"""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from collections import Counter
from pathlib import Path, PurePosixPath

import pytest

from annotations.models import Annotation
from interop.export import export_zip, select

READER = Path(__file__).with_name("consumers") / "read_exports.py"
BOXES = {
    ("Top/PASS", "001_TOP.png"): [(3.25, 4.5, 20.75, 10.4, "TOP", "PASS"), (30, 20, 33.6, 27.9, "TOP", "WOBBLE")],
    ("Top/沖線", "001_TOP.png"): [(0, 0, 12.3, 7.7, "TOP", "SWEEP")],
    ("", "002_SIDE.png"): [(10.6, 11.1, 40.2, 30.3, "SIDE", "TOUCH")],
}


def consumers_python() -> str:
    python = os.environ.get("WIRESAG_CONSUMERS_PYTHON") or str(Path(__file__).resolve().parents[2] / ".venv-consumers" / "bin" / "python")
    assert Path(python).is_file(), "The consumers' environment is missing: scripts/test installs it (requirements-consumers.txt)."
    return python


def read_with(kind: str, folder: Path) -> dict[str, list[list[object]]]:
    done = subprocess.run([consumers_python(), str(READER), kind, str(folder)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, list[list[object]]] = json.loads(done.stdout)
    return result


@pytest.fixture
def exported(make_image, tmp_path):  # type: ignore[no-untyped-def]
    for (group, name), boxes in BOXES.items():
        image = make_image(name, 80, 60, wire_group=group)
        for x, y, w, h, view, defect in boxes:
            Annotation.objects.create(image=image, x=x, y=y, width=w, height=h, view=view, defect=defect)

    def unpack(format_name: str) -> Path:
        archive, folder = tmp_path / f"{format_name}.zip", tmp_path / format_name
        export_zip(select(), format_name, archive)
        with zipfile.ZipFile(archive) as bundle:
            bundle.extractall(folder)
        return folder

    return unpack


def expected_by_item() -> dict[str, list[tuple[object, ...]]]:
    """Our boxes keyed as the consumers name items: the picture's path in the export, without suffix."""
    return {
        str(PurePosixPath(group, name).with_suffix("")): sorted((f"{view}_{defect}", x, y, w, h) for x, y, w, h, view, defect in boxes)
        for (group, name), boxes in BOXES.items()
    }


def assert_same(found: dict[str, list[list[object]]], expected: dict[str, list[tuple[object, ...]]], tolerance: float) -> None:
    assert sorted(found) == sorted(expected)
    for item, boxes in expected.items():
        got = sorted(tuple(box) for box in found[item])
        assert [box[0] for box in got] == [box[0] for box in boxes], item
        for mine, theirs in zip(boxes, got, strict=True):
            assert list(theirs[1:]) == pytest.approx(list(mine[1:]), abs=tolerance), item


def test_label_studio_sdk_converter_reads_the_label_studio_export(exported) -> None:  # type: ignore[no-untyped-def]
    found = read_with("labelstudio", exported("labelstudio"))
    # The converter renames pictures to "<hash>__<file name>" (names in different folders may clash).
    assert len(found) == 3 and all(PurePosixPath(name).name.split("__", 1)[1] in {"001_TOP.png", "002_SIDE.png"} for name in found)
    got = Counter((box[0], *(round(float(v), 3) for v in box[1:])) for boxes in found.values() for box in boxes)
    want = Counter(
        (f"{view}_{defect}", *(round(float(v), 3) for v in (x, y, w, h))) for boxes in BOXES.values() for x, y, w, h, view, defect in boxes
    )
    assert got == want


def test_datumaro_reads_the_coco_export(exported) -> None:  # type: ignore[no-untyped-def]
    assert_same(read_with("coco-datumaro", exported("coco")), expected_by_item(), tolerance=1e-3)


def test_datumaro_reads_the_voc_export_with_its_labels(exported) -> None:  # type: ignore[no-untyped-def]
    # VOC corners are 1-based (the devkit's convention, which mmdetection and our import follow);
    # Datumaro reads them as 0-based, so to it every box sits 1 px lower right and 1 px smaller.
    expected = {item: [(label, x + 1, y + 1, w - 1, h - 1) for label, x, y, w, h in boxes] for item, boxes in expected_by_item().items()}
    assert_same(read_with("voc-datumaro", exported("voc")), expected, tolerance=1e-3)
