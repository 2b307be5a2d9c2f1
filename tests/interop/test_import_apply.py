"""Imports through the Django layer: mapping, dry run, one transaction, picture sources."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from annotations.models import Annotation, AnnotationChange, Image
from interop.apply import ImportRefused, apply_plan, plan_import, safe_folder
from interop.mapping import clean, suggest
from interop.reading import read_source

FIXTURES = Path("/work/shared/fixtures/interop")
LEGACY = Path("/work/shared/samples/legacy")


def test_legacy_sample_imports_with_class_folder_as_wire_group(db, annotator) -> None:  # type: ignore[no-untyped-def]
    dataset = read_source(LEGACY)
    mapping = clean(suggest(dataset))
    assert mapping["labels"]["沖線"]["defect"] == "SWEEP"
    plan = plan_import(dataset, mapping)
    assert (plan.box_count, plan.new_picture_count, plan.skipped) == (8, 8, [])
    result = apply_plan(plan, annotator)
    assert (result.pictures_created, result.boxes_created) == (8, 8)
    sweep = Image.objects.get(wire_group="沖線", view="TOP")  # the class folder; the view folder is not part of the wire
    assert (sweep.original_name, sweep.wire_id, sweep.view, sweep.width) == ("001_TOP.jpg", "001", "TOP", 1004)
    box = sweep.annotations.get()
    assert (box.x, box.y, box.width, box.height, box.view, box.defect) == (334, 470, 206, 64, "TOP", "SWEEP")
    # Numbering restarts per class folder: four wires "001", each with its TOP and SIDE picture.
    wires = {image.wire_key: set() for image in Image.objects.all()}
    for image in Image.objects.all():
        wires[image.wire_key].add(image.view)
    assert wires == {f"{group}/001": {"TOP", "SIDE"} for group in ("PASS", "沖線", "晃動", "碰觸")}
    assert AnnotationChange.objects.filter(action="create", user=annotator).count() == 8
    again = plan_import(read_source(LEGACY), mapping)
    assert again.box_count == 0 and {s.reason for s in again.skipped} == {"duplicate (the same box is already there)"}


def test_yolo_fixture_matches_library_pictures_by_name(db, make_image) -> None:  # type: ignore[no-untyped-def]
    make_image("img_2.jpg", 640, 427)
    dataset = read_source(FIXTURES / "labelstudio_converter_yolo_import")
    mapping = clean(
        {
            "labels": {
                "bus": {"defect": "SWEEP", "view": "TOP"},
                "number": {"skip": True},
                "closed_door": {"defect": "PASS", "view": "SIDE"},
                "opened_door": {"defect": "TOUCH", "view": "SIDE"},
            }
        }
    )
    plan = plan_import(dataset, mapping)
    reasons = plan.skip_reasons()
    assert reasons["missing picture"] == 17  # img_3 .. img_7 are labels only
    missing = next(skipped.reason for skipped in plan.skipped if skipped.image.endswith("img_3.jpg") or "img_3" in skipped.image)
    assert "missing picture (looked for 'img_3" in missing
    assert reasons["label is set to skip"] == 2  # the 'number' boxes of img_1 and img_2
    apply_plan(plan, None)
    on_two = Image.objects.get(original_name="img_2.jpg").annotations.order_by("x")
    first = [b for b in on_two if b.defect == "SWEEP"][0]
    assert first.x == pytest.approx((0.54921875 - 0.7078125 / 2) * 640)
    assert first.height == pytest.approx(0.585480093676815 * 427)
    # The doors of img_1 and img_2 lie inside their bus, which frames the same loop by the import's rule: the bus comes in
    assert Image.objects.get(original_name="img_1.jpg").annotations.count() == 1
    assert reasons["conflicts with another box of this import on the same loop"] == 4


def test_coco_box_outside_is_clipped_or_skipped_by_choice(db, make_image) -> None:  # type: ignore[no-untyped-def]
    make_image("b.jpg", 5, 10)
    dataset = read_source(FIXTURES / "coco_datumaro_instances_val.json")
    # "a" lies inside "b": with two labels they would conflict on one loop (the import's rule), one label keeps both
    mapping = clean({"labels": {"a": {"defect": "TOUCH", "view": "TOP"}, "b": {"defect": "TOUCH", "view": "TOP"}}})
    plan = plan_import(dataset, mapping)
    assert plan.box_count == 2
    assert (plan.images[0].boxes[1].x, plan.images[0].boxes[1].height) == (0, 9)
    dataset.images[0].boxes[1].width = 8
    clipped = plan_import(dataset, mapping, clip=True)
    assert clipped.clipped_count == 1 and clipped.images[0].boxes[1].width == 5
    refused = plan_import(dataset, mapping, clip=False)
    assert refused.box_count == 1
    assert refused.skipped[0].reason.startswith("box outside the picture")


def test_rounding_noise_past_an_edge_is_snapped_not_reported_as_clipped(db, make_image) -> None:  # type: ignore[no-untyped-def]
    make_image("b.jpg", 5, 10)
    dataset = read_source(FIXTURES / "coco_datumaro_instances_val.json")
    # "a" lies inside "b": with two labels they would conflict on one loop (the import's rule), one label keeps both
    mapping = clean({"labels": {"a": {"defect": "TOUCH", "view": "TOP"}, "b": {"defect": "TOUCH", "view": "TOP"}}})
    box = dataset.images[0].boxes[1]
    box.x, box.width = -0.3, 5.4  # 0.3 px past the left edge and 0.1 px past the right one: a tool's rounding
    plan = plan_import(dataset, mapping, clip=False)
    assert plan.box_count == 2 and plan.clipped_count == 0 and not plan.skipped
    snapped = plan.images[0].boxes[1]
    assert (snapped.x, snapped.width) == (0, 5)
    box.x = -0.6  # more than rounding: outside, and said so with the box and the picture's size
    reason = plan_import(dataset, mapping, clip=False).skipped[0].reason
    assert reason == "box outside the picture (box at x -0.6, y 0.0, 5.4x9.0; the picture is 5x10; clipping is off)"


@pytest.mark.slow
def test_labelstudio_annotator_can_be_skipped_by_attribute(db, make_image) -> None:  # type: ignore[no-untyped-def]
    make_image("image1.png", 2800, 2800)
    dataset = read_source(FIXTURES / "labelstudio_converter_export_yolo_data.json")
    mapping = clean(
        {
            "labels": {"parasites": {"defect": "WOBBLE"}, "white": {"defect": "PASS"}},
            "attributes": {"annotator=2": {"skip": True}},
            "default_view": "SIDE",
        }
    )
    plan = plan_import(dataset, mapping)
    assert plan.box_count == 2
    assert plan.images[0].boxes[0].x == pytest.approx(37.88706739526412 / 100 * 2800)
    assert "missing picture" in plan.skip_reasons()


def test_cvat_repeated_subset_images_become_duplicates(db, make_image) -> None:  # type: ignore[no-untyped-def]
    make_image("img0.jpg", 8, 8)
    make_image("img1.jpg", 10, 10)
    dataset = read_source(FIXTURES / "cvat11_datumaro_export_project_annotations.xml")
    mapping = clean({"labels": {"label1": {"defect": "SWEEP"}}, "attributes": {"a2=v3": {"view": "SIDE"}}})
    plan = plan_import(dataset, mapping)
    assert plan.box_count == 1
    assert plan.skip_reasons() == {"duplicate": 2}
    box = plan.images[0].boxes[0]
    assert (box.x, box.y, box.width, box.height, box.view) == (0, 2, 4, 2, "SIDE")


def test_voc_size_mismatch_and_unknown_label(db, make_image) -> None:  # type: ignore[no-untyped-def]
    make_image("000001.jpg", 353, 500)
    make_image("2007_000001.jpg", 21, 10)
    plan = plan_import(
        read_source(FIXTURES / "voc_pascal2007_000001_via_mmdetection.xml"), clean({"labels": {"dog": {"defect": "TOUCH", "view": "TOP"}}})
    )
    assert [(b.x, b.y, b.width, b.height) for b in plan.images[0].boxes] == [(47, 239, 148, 132)]
    assert plan.skipped[0].reason.startswith("unknown label 'person'")
    other = plan_import(read_source(FIXTURES / "voc_datumaro_dataset1_2007_000001.xml"), clean({"default_defect": "PASS"}))
    assert other.skipped[0].reason.startswith("picture size differs")


def test_failure_leaves_the_library_as_it_was(db, tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "legacy"
    shutil.copytree(LEGACY, source)
    dataset = read_source(source)
    plan = plan_import(dataset, clean(suggest(dataset)))
    plan.images[-1].boxes[0].view = "BTTM"  # violates the database's view constraint on the last write (fits the column, as on PostgreSQL)
    with pytest.raises(Exception, match="CHECK constraint|annotation_view_valid"):
        apply_plan(plan, None)
    assert Image.objects.count() == 0 and Annotation.objects.count() == 0
    media = Path(settings.MEDIA_ROOT)
    assert not [path for path in media.rglob("*") if path.is_file()]


def test_server_folder_outside_the_import_root_is_refused(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.IMPORT_ROOT = tmp_path / "import"
    (tmp_path / "import" / "lot1").mkdir(parents=True)
    assert safe_folder("lot1") == (tmp_path / "import" / "lot1").resolve()
    for bad in ("../", "/etc", "lot1/../../"):
        with pytest.raises(ImportRefused, match="Only folders inside the import folder"):
            safe_folder(bad)


def test_unsafe_wire_groups_from_the_file_or_the_command_are_refused(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from django.core.management import CommandError, call_command

    (tmp_path / "boxes.csv").write_text(
        "image_name,bbox_x1,bbox_y1,bbox_x2,bbox_y2,defect,view,wire_group\n"
        "001_TOP.png,1,1,5,5,PASS,TOP,../../escaped\n"
        "002_TOP.png,1,1,5,5,PASS,TOP,/abs/dir\n",
        encoding="utf-8",
    )
    plan = plan_import(read_source(tmp_path / "boxes.csv"), clean(suggest(read_source(tmp_path / "boxes.csv"))))
    assert plan.box_count == 0 and plan.skip_reasons() == {"unsafe wire group": 2}
    assert "contains '..'" in plan.skipped[0].reason
    with pytest.raises(CommandError, match="starts with '/'"):
        call_command("import_annotations", str(LEGACY), "--dry-run", "--wire-group", "/abs/dir")


def _legacy_db(path: Path, filepaths: list[str]) -> None:
    import sqlite3

    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE images (id INTEGER PRIMARY KEY, filename TEXT, filepath TEXT, width INTEGER, height INTEGER)")
    connection.execute(
        "CREATE TABLE annotations (id INTEGER PRIMARY KEY, image_id INTEGER, bbox_x REAL, bbox_y REAL, bbox_width REAL, "
        "bbox_height REAL, view_type TEXT, defect_type TEXT, annotator TEXT)"
    )
    for number, filepath in enumerate(filepaths, start=1):
        name = filepath.replace("\\", "/").rsplit("/", 1)[-1]
        connection.execute("INSERT INTO images VALUES (?, ?, ?, 64, 48)", (number, name, filepath))
        connection.execute("INSERT INTO annotations VALUES (?, ?, 1, 1, 10, 10, 'TOP', 'PASS', '')", (number, number))
    connection.commit()
    connection.close()


def test_legacy_paths_leaving_the_pictures_folder_get_one_answer_whether_or_not_the_file_exists(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import png_bytes

    folder = tmp_path / "import" / "lot"
    (folder / "photo" / "Top" / "PASS").mkdir(parents=True)
    (folder / "photo" / "Side").mkdir(parents=True)
    (folder / "photo" / "Top" / "PASS" / "001_TOP.png").write_bytes(png_bytes(seed=1))
    (folder / "photo" / "Side" / "002_SIDE.png").write_bytes(png_bytes(seed=2))
    (tmp_path / "import" / "secret_TOP.png").write_bytes(png_bytes(seed=3))  # a server file outside the folder
    (folder / "photo" / "link_TOP.png").symlink_to(tmp_path / "import" / "secret_TOP.png")
    _legacy_db(
        folder / "annotations.db",
        [
            "D:\\data\\photo\\Top\\PASS\\001_TOP.png",
            "D:\\data\\photo\\Top\\..\\Side\\002_SIDE.png",  # '..' that stays inside: fine
            "..\\secret_TOP.png",  # exists outside
            "..\\missing_TOP.png",  # does not exist
            "D:\\data\\photo\\..\\..\\..\\secret_TOP.png",
            "D:\\data\\photo\\link_TOP.png",  # a link inside that points outside
        ],
    )
    dataset = read_source(folder)
    plan = plan_import(dataset, clean({"labels": {"PASS": {"defect": "PASS"}}, "default_view": "TOP"}))
    assert sorted(image.name for image in plan.images) == ["001_TOP.png", "002_SIDE.png"]
    assert plan.skip_reasons() == {"outside the pictures folder": 4}
    assert len({skipped.reason for skipped in plan.skipped}) == 1
    assert not [image for image in dataset.images if image.picture and "secret" in image.picture.name]


def test_both_views_of_a_legacy_wire_land_on_the_same_side_of_the_split(db, annotator) -> None:  # type: ignore[no-untyped-def]
    """The desktop tool keeps Top/ and Side/ in separate folders; they are still one wire."""
    from core.data.dataset import split_records
    from training.snapshot import image_records

    apply_plan(plan_import(read_source(LEGACY), clean(suggest(read_source(LEGACY)))), annotator)
    for seed in range(5):
        snapshot = split_records(image_records(), val_fraction=0.5, seed=seed, min_samples_per_class=0)
        sides = {}
        for split in ("train", "val"):
            for record in getattr(snapshot, split):
                sides.setdefault(record.wire_key, set()).add(split)
        assert len(sides) == 4 and all(len(where) == 1 for where in sides.values()), sides


def test_byte_identical_pictures_under_two_names_are_merged_with_a_word(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 16 item 8: the merge was silent."""
    import json

    from PIL import Image as PILImage

    PILImage.new("RGB", (64, 48), (90, 90, 90)).save(tmp_path / "w1_TOP.png")
    (tmp_path / "copy_of_w1_TOP.png").write_bytes((tmp_path / "w1_TOP.png").read_bytes())
    data = {
        "images": [
            {"id": 1, "file_name": "w1_TOP.png", "width": 64, "height": 48},
            {"id": 2, "file_name": "copy_of_w1_TOP.png", "width": 64, "height": 48},
        ],
        "categories": [{"id": 1, "name": "PASS"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 20, 10]},
            {"id": 2, "image_id": 2, "category_id": 1, "bbox": [30, 20, 20, 10]},
        ],
    }
    (tmp_path / "instances.json").write_text(json.dumps(data))
    dataset = read_source(tmp_path / "instances.json")
    plan = plan_import(dataset, clean({"labels": {"PASS": {"defect": "PASS", "view": "TOP"}}}))
    assert len(plan.images) == 1 and plan.box_count == 2
    assert "copy_of_w1_TOP.png has the same bytes as w1_TOP.png: one picture is stored, and the boxes of both go onto it." in plan.notes
