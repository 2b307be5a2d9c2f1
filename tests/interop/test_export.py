"""Exports read back by our import (same boxes within 0.5 px) and by the real consumers."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command

from annotations.models import Annotation, Image
from interop.apply import plan_import
from interop.export import CLASSES, EXPORT_FORMATS, export_zip, select
from interop.mapping import clean, resolve, suggest
from interop.reading import read_source

BOXES = {
    ("Top/PASS", "001_TOP.png"): [(3.25, 4.5, 20.75, 10.4, "TOP", "PASS"), (30, 20, 33.6, 27.9, "TOP", "WOBBLE")],
    ("Top/沖線", "001_TOP.png"): [(0, 0, 12.3, 7.7, "TOP", "SWEEP")],
    ("", "002_SIDE.png"): [(10.6, 11.1, 40.2, 30.3, "SIDE", "TOUCH")],
}


@pytest.fixture
def library(make_image):  # type: ignore[no-untyped-def]
    for (group, name), boxes in BOXES.items():
        image = make_image(name, 80, 60, wire_group=group)
        for x, y, w, h, view, defect in boxes:
            Annotation.objects.create(image=image, x=x, y=y, width=w, height=h, view=view, defect=defect)
    return Image.objects.all()


def export_and_unpack(tmp_path: Path, format_name: str) -> Path:
    archive = tmp_path / f"{format_name}.zip"
    export_zip(select(), format_name, archive)
    folder = tmp_path / format_name
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(folder)
    return folder


@pytest.mark.parametrize("format_name", list(EXPORT_FORMATS))
def test_every_format_round_trips_to_the_same_boxes(library, tmp_path, format_name) -> None:  # type: ignore[no-untyped-def]
    folder = export_and_unpack(tmp_path, format_name)
    dataset = read_source(folder)
    assert dataset.format == format_name
    found = {}
    mapping = clean(suggest(dataset))
    for image in dataset.images:
        assert image.picture is not None, image.name
        size = {(i.wire_group, i.original_name): (i.width, i.height) for i in library}[(image.group, image.basename)]
        found[(image.group, image.basename)] = sorted((*box.in_pixels(*size), *resolve(box, mapping, None)) for box in image.boxes)
    assert found.keys() == BOXES.keys()
    for key, boxes in BOXES.items():
        for got, expected in zip(found[key], sorted(boxes), strict=True):
            assert got[4:] == expected[4:], (key, found[key])
            assert got[:4] == pytest.approx(expected[:4], abs=0.5)
    plan = plan_import(dataset, mapping)
    assert plan.box_count == 0 and plan.new_picture_count == 0
    assert plan.skip_reasons() == {"duplicate": 4}


def test_coco_export_loads_in_pycocotools(library, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pycocotools.coco import COCO

    folder = export_and_unpack(tmp_path, "coco")
    coco = COCO(str(folder / "annotations.json"))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == CLASSES
    # The same file where Datumaro looks for COCO (annotations/instances_<subset>.json).
    assert len(COCO(str(folder / "annotations" / "instances_default.json")).getAnnIds()) == 4
    assert len(coco.getAnnIds()) == 4
    sweep = coco.loadAnns(coco.getAnnIds(catIds=[CLASSES.index("TOP_SWEEP") + 1]))[0]
    assert sweep["bbox"] == pytest.approx([0, 0, 12.3, 7.7])
    assert sweep["attributes"] == {"view": "TOP", "defect": "SWEEP"}


def test_labelstudio_export_carries_view_and_defect_choices(library, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = export_and_unpack(tmp_path, "labelstudio")
    tasks = json.loads((folder / "tasks.json").read_text(encoding="utf-8"))
    results = tasks[0]["annotations"][0]["result"]
    assert {r["from_name"] for r in results} == {"label", "view", "defect"}
    assert 'perRegion="true"' in (folder / "label_config.xml").read_text(encoding="utf-8")


@pytest.mark.slow
def test_yolo_export_passes_ultralytics_check_and_trains_one_epoch(library, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from core.offline import configure_offline, install_fonts

    configure_offline(tmp_path)
    install_fonts()
    from ultralytics import YOLO
    from ultralytics.data.utils import check_det_dataset

    folder = export_and_unpack(tmp_path, "yolo")
    data = check_det_dataset(str(folder / "data.yaml"))
    assert data["nc"] == 8 and data["names"][1] == "TOP_SWEEP"
    model = YOLO("yolov8n.yaml")
    model.train(
        data=str(folder / "data.yaml"),
        epochs=1,
        imgsz=64,
        batch=2,
        workers=0,
        device="cpu",
        amp=False,
        plots=False,
        project=str(tmp_path / "runs"),
        name="smoke",
        verbose=False,
    )
    assert (tmp_path / "runs" / "smoke" / "weights" / "last.pt").exists()


def test_commands_import_the_legacy_sample_and_export(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from io import StringIO

    out = StringIO()
    call_command("import_annotations", "/work/shared/samples/legacy", "--dry-run", stdout=out)
    assert "Will import 8 boxes on 8 pictures" in out.getvalue() and Image.objects.count() == 0
    call_command(
        "import_annotations",
        "/work/shared/samples/legacy/annotations.db",
        "--pictures",
        "/work/shared/samples/legacy",
        "--save-mapping",
        "desktop",
        stdout=out,
    )
    assert Annotation.objects.count() == 8
    call_command("export_annotations", str(tmp_path / "out.zip"), "--format", "csv", "--defect", "SWEEP", stdout=out)
    with zipfile.ZipFile(tmp_path / "out.zip") as bundle:
        rows = bundle.read("boxes.csv").decode().splitlines()
    assert rows[0].startswith("image_name,bbox_x1,bbox_y1,bbox_x2,bbox_y2,view")
    assert len(rows) == 3 and "沖線/001_TOP.jpg,334,470,540,534,TOP,,SWEEP" in rows[1] + rows[2]
    # The two views of a legacy wire are one wire: same group, same id, paired.
    top, side = Image.objects.get(view="TOP", wire_group="沖線"), Image.objects.get(view="SIDE", wire_group="沖線")
    assert top.wire_key == side.wire_key == "沖線/001"


@pytest.mark.parametrize("format_name", list(EXPORT_FORMATS))
def test_hostile_wire_groups_already_stored_stay_inside_the_export(make_image, tmp_path, monkeypatch, format_name) -> None:  # type: ignore[no-untyped-def]
    work = tmp_path / "tmp"
    work.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(work))
    for index, group in enumerate(["../../../../../escaped", str(tmp_path / "absolute"), "lot/CON"]):
        image = make_image(f"00{index}_TOP.png", 20, 10)
        Annotation.objects.create(image=image, x=1, y=1, width=5, height=5, view="TOP", defect="PASS")
        Image.objects.filter(pk=image.pk).update(wire_group=group)  # rows from before groups were validated
    archive = tmp_path / "out.zip"
    export_zip(select(), format_name, archive)
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "absolute").exists()
    assert list(work.iterdir()) == []
    with zipfile.ZipFile(archive) as bundle:
        names = bundle.namelist()
    assert not [name for name in names if name.startswith("/") or ".." in name.split("/") or "CON" in name.split("/")], names
    if format_name != "yolo":
        assert any(name.startswith("JPEGImages/" if format_name == "voc" else "images/") for name in names)


@pytest.mark.parametrize("format_name", list(EXPORT_FORMATS))
def test_labels_only_leaves_the_pictures_out_in_every_format(library, tmp_path, format_name) -> None:  # type: ignore[no-untyped-def]
    """YOLO ignored "labels only" (issue 16 item 5): labels and data.yaml without pictures is what people ask for."""
    target = tmp_path / f"{format_name}.zip"
    export_zip(select(), format_name, target, include_pictures=False)
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
    assert names and not [name for name in names if name.lower().endswith((".png", ".jpg", ".jpeg", ".bmp"))], names
    if format_name == "yolo":
        assert "data.yaml" in names and any(name.startswith("labels/") and name.endswith(".txt") for name in names)


@pytest.mark.parametrize("format_name", list(EXPORT_FORMATS))
def test_a_grouped_and_an_ungrouped_picture_of_the_same_name_both_come_back(make_image, tmp_path, format_name) -> None:  # type: ignore[no-untyped-def]
    """Issue 16 item 23: the ungrouped picture's file was ambiguous beside the grouped one, and its box was lost."""
    plain, grouped = make_image("001_TOP.png", 80, 60), make_image("001_TOP.png", 90, 70, wire_group="lot-2")
    Annotation.objects.create(image=plain, x=1, y=1, width=10, height=10, view="TOP", defect="PASS")
    Annotation.objects.create(image=grouped, x=20, y=20, width=10, height=10, view="TOP", defect="TOUCH")
    archive = tmp_path / "export.zip"
    export_zip(select(), format_name, archive)
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(tmp_path / "export")
    dataset = read_source(tmp_path / "export")
    pictures = {image.group: image.picture for image in dataset.images}
    assert set(pictures) == {"", "lot-2"} and all(pictures.values())
    assert pictures[""].read_bytes() == Path(plain.file.path).read_bytes()
    assert pictures["lot-2"].read_bytes() == Path(grouped.file.path).read_bytes()
    plan = plan_import(dataset, clean(suggest(dataset)))
    assert plan.skip_reasons() == {"duplicate": 2}  # both boxes found their own picture: nothing lost


def test_voc_export_has_the_layout_voc_readers_open(library, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 16 item 25: Annotations/, JPEGImages/ and ImageSets/Main/ as Pascal VOC and Datumaro lay them out."""
    folder = export_and_unpack(tmp_path, "voc")
    listed = (folder / "ImageSets" / "Main" / "default.txt").read_text(encoding="utf-8").split()
    annotations = sorted(str(p.relative_to(folder / "Annotations").with_suffix("")) for p in (folder / "Annotations").rglob("*.xml"))
    assert sorted(listed) == annotations and len(listed) == len(BOXES)
    pictures = sorted(str(p.relative_to(folder / "JPEGImages").with_suffix("")) for p in (folder / "JPEGImages").rglob("*.png"))
    assert pictures == annotations and not (folder / "images").exists()
