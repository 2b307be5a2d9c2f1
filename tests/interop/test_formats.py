"""Each real fixture read into pixels per its format's convention; bad input named by file and place."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from interop.dataset import FormatError
from interop.formats import coco, csv, cvat, labelstudio, legacy, voc, yolo
from interop.reading import detect, read_source

FIXTURES = Path("/work/shared/fixtures/interop")
LEGACY = Path("/work/shared/samples/legacy")


def boxes_of(dataset, name):  # type: ignore[no-untyped-def]
    return [image for image in dataset.images if image.name == name][0].boxes


def test_yolo_classes_txt_with_crlf_boxes_are_normalised_centres() -> None:
    dataset = yolo.read(FIXTURES / "labelstudio_converter_yolo_import")
    assert dataset.labels == ["closed_door", "opened_door", "bus", "number"]
    assert sum(len(image.boxes) for image in dataset.images) == 25
    first = boxes_of(dataset, "img_1.jpg")[0]
    x, y, w, h = first.in_pixels(640, 329)
    assert first.label == "bus"
    assert x == pytest.approx((0.49765625 - 0.9640625 / 2) * 640)
    assert y == pytest.approx((0.46200607902735563 - 0.8693009118541033 / 2) * 329)
    assert (w, h) == pytest.approx((0.9640625 * 640, 0.8693009118541033 * 329))
    pictured = [image for image in dataset.images if image.picture is not None]
    assert [image.name for image in pictured] == ["img_1.jpg"]


def test_yolo_roboflow_data_yaml_names_list_and_mismatched_val_folder() -> None:
    dataset = yolo.read(FIXTURES / "datumaro_roboflow_yolo")
    assert dataset.labels == ["label_0", "label_1"]
    assert {image.name for image in dataset.images} == {"train_001.jpg", "train_002.jpg", "val_001.jpg"}
    box = boxes_of(dataset, "val_001.jpg")[1]
    assert box.label == "label_1"
    assert box.in_pixels(10, 5) == pytest.approx(((0.45 - 0.45) * 10, (0.1 - 0.1) * 5, 9.0, 1.0))


def test_yolo_darknet_obj_names_layout(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "obj.data").write_text("classes = 2\nnames = data/obj.names\ntrain = data/train.txt\n")
    (tmp_path / "data" / "obj.names").write_text("TOP_PASS\nSIDE_TOUCH\n")
    (tmp_path / "data" / "obj_train_data").mkdir()
    (tmp_path / "data" / "obj_train_data" / "7_SIDE.txt").write_text("1 0.5 0.5 0.2 0.1\n")
    dataset = yolo.read(tmp_path)
    assert dataset.labels == ["TOP_PASS", "SIDE_TOUCH"]
    assert dataset.images[0].boxes[0].label == "SIDE_TOUCH"


@pytest.mark.parametrize("names", ["../secret.names", "/{outside}/secret.names", "data/../../secret.names"])
def test_yolo_obj_data_cannot_read_a_class_file_outside_its_folder(tmp_path: Path, names: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.names").write_text("root:x:0:0\n")
    (tmp_path / "secret.names").write_text("root:x:0:0\n")
    folder = outside / "upload"
    folder.mkdir()
    (folder / "obj.data").write_text(f"classes = 1\nnames = {names.format(outside=str(outside).lstrip('/'))}\n")
    (folder / "7_SIDE.txt").write_text("0 0.5 0.5 0.2 0.1\n")
    with pytest.raises(FormatError, match="is not in the folder"):
        yolo.read(folder)


def test_yolo_data_yaml_names_as_mapping(tmp_path: Path) -> None:
    (tmp_path / "data.yaml").write_text("names:\n  0: PASS\n  1: 沖線\n", encoding="utf-8")
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "a.txt").write_text("1 0.5 0.5 0.5 0.5")
    assert yolo.read(tmp_path).images[0].boxes[0].label == "沖線"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("0 nan 0.5 0.1 0.1", "finite number"),
        ("0 0.5 1.7 0.1 0.1", "outside 0..1"),
        ("5 0.5 0.5 0.1 0.1", "class id 5 is unknown"),
        ("0 0.5 0.5", "expected 'class cx cy w h'"),
        ("x 0.5 0.5 0.1 0.1", "not a whole number"),
    ],
)
def test_yolo_bad_lines_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "classes.txt").write_text("a\nb\n")
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "pic.txt").write_text(f"0 0.5 0.5 0.1 0.1\n{line}\n")
    with pytest.raises(FormatError) as error:
        yolo.read(tmp_path)
    assert "pic.txt, line 2" in str(error.value)
    assert message in str(error.value)


def test_coco_fixtures_keep_xywh_pixels_and_gapped_ids() -> None:
    train = coco.read(FIXTURES / "coco_datumaro_instances_train.json")
    assert train.labels == ["a", "b", "c"]
    box = train.images[0].boxes[0]
    assert (box.label, box.x, box.y, box.width, box.height) == ("b", 2.0, 2.0, 3.0, 1.0)
    val = coco.read(FIXTURES / "coco_datumaro_instances_val.json")
    polygon, crowd = val.images[0].boxes
    assert polygon.attributes == {"x": "1", "y": "hello"}
    assert crowd.attributes["iscrowd"] == "1"
    sahi = coco.read(FIXTURES / "coco_sahi_terrain2.json")
    assert (sahi.images[0].width, sahi.images[0].height) == (1024, 682)
    assert [(b.x, b.y, b.width, b.height) for b in sahi.images[0].boxes][0] == (218.0, 448.0, 222.0, 161.0)


def test_coco_detections_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text('[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.9}]')
    with pytest.raises(FormatError, match="results.json, top level: this is a list of detections"):
        coco.read(path)


def test_truncated_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text((FIXTURES / "coco_sahi_terrain2.json").read_text()[:300])
    with pytest.raises(FormatError, match=r"broken.json, line \d+ column \d+: this is not valid JSON"):
        coco.read(path)
    with pytest.raises(FormatError, match="broken.json, line"):
        labelstudio.read(path)


def test_coco_unknown_category_names_the_annotation(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        '{"images": [{"id": 1, "file_name": "a.png"}], "categories": [{"id": 1, "name": "a"}],'
        ' "annotations": [{"id": 9, "image_id": 1, "category_id": 3, "bbox": [0, 0, 1, 1]}]}'
    )
    with pytest.raises(FormatError, match=r"annotations\[0\] \(id 9\): category_id 3"):
        coco.read(path)


def test_voc_corners_are_one_based_and_inclusive() -> None:
    dataset = voc.read(FIXTURES / "voc_pascal2007_000001_via_mmdetection.xml")
    dog, person = dataset.images[0].boxes
    assert (dog.label, dog.x, dog.y, dog.width, dog.height) == ("dog", 47, 239, 148, 132)
    assert (person.x, person.y, person.x + person.width, person.y + person.height) == (7, 11, 352, 498)
    assert dog.attributes["truncated"] == "1"
    datumaro = voc.read(FIXTURES / "voc_datumaro_dataset1_2007_000001.xml")
    assert [b.label for b in datumaro.images[0].boxes] == ["cat", "person"]
    assert any("<part>" in note for note in datumaro.notes)


def test_xml_that_is_not_the_format_names_the_element() -> None:
    with pytest.raises(FormatError, match="root element <annotations>.*not Pascal VOC"):
        voc.read(FIXTURES / "cvat11_datumaro_export_project_annotations.xml")
    with pytest.raises(FormatError, match="root element <annotation>.*not CVAT"):
        cvat.read(FIXTURES / "voc_pascal2007_000001_via_mmdetection.xml")


def test_broken_xml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "cut.xml"
    path.write_text((FIXTURES / "voc_pascal2007_000001_via_mmdetection.xml").read_text()[:400])
    with pytest.raises(FormatError, match=r"cut.xml, line \d+ column \d+: this is not well-formed XML"):
        voc.read(path)


def test_cvat_float_corners_attributes_and_subsets() -> None:
    dataset = cvat.read(FIXTURES / "cvat11_datumaro_export_project_annotations.xml")
    assert dataset.labels == ["label1", "label2"]
    assert len(dataset.images) == 6
    box = dataset.images[0].boxes[0]
    assert (box.x, box.y, box.width, box.height) == (0, 2, 4, 2)
    assert box.attributes == {"a1": "true", "a2": "v3", "a3": "0003", "a4": "2.4", "cvat_occluded": "1"}
    assert "not boxes" in dataset.notes[0]


CVAT_ONE_BOX = """<?xml version="1.0" encoding="utf-8"?>
<annotations><version>1.1</version>
<image id="0" name="w1_TOP.png" width="200" height="100">
<box label="PASS" occluded="{flag}" xtl="40" ytl="40" xbr="100" ybr="60" rotation="{rotation}">
<attribute name="occluded">partly</attribute></box>
</image></annotations>"""


def test_cvat_rotated_box_becomes_the_upright_box_around_it_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "annotations.xml"
    path.write_text(CVAT_ONE_BOX.format(flag="0", rotation="90.0"))
    dataset = cvat.read(path)
    box = dataset.images[0].boxes[0]
    # A 60 x 20 box turned a quarter about its centre (70, 50): 20 x 60.
    assert (round(box.x, 6), round(box.y, 6), round(box.width, 6), round(box.height, 6)) == (60, 20, 20, 60)
    assert dataset.notes == ["1 rotated boxes were imported as the upright boxes around them."]


def test_cvat_occluded_flag_and_a_user_attribute_called_occluded_stay_apart_and_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "annotations.xml"
    path.write_text(CVAT_ONE_BOX.format(flag="1", rotation="0"))
    box = cvat.read(path).images[0].boxes[0]
    assert box.attributes == {"occluded": "partly", "cvat_occluded": "1"}
    again = cvat.read(cvat.write(cvat.read(path), tmp_path / "again.xml")).images[0].boxes[0]
    assert again.attributes == {"occluded": "partly", "cvat_occluded": "1"}


def test_labelstudio_percent_of_original_size_with_two_annotators() -> None:
    dataset = labelstudio.read(FIXTURES / "labelstudio_converter_export_yolo_data.json")
    assert dataset.labels == ["parasites", "white"]
    first = dataset.images[0]
    assert (first.name, first.width, first.height) == ("image1", 2800, 2800)
    box = first.boxes[0]
    assert box.x == pytest.approx(37.15846994535519 / 100 * 2800)
    assert box.height == pytest.approx(4.735883424408015 / 100 * 2800)
    assert {b.attributes["annotator"] for b in first.boxes} == {"1", "2"}


def test_labelstudio_upload_prefix_is_stripped() -> None:
    assert labelstudio.picture_name("/data/upload/3/1a2b3c4d-001_TOP.jpg") == "001_TOP.jpg"
    assert labelstudio.picture_name("http://host/data/local-files/?d=photos%2F002_SIDE.png") == "002_SIDE.png"


def test_legacy_database_remaps_windows_paths_and_keeps_class_folders() -> None:
    dataset = legacy.read(LEGACY / "annotations.db", LEGACY)
    assert len(dataset.images) == 8
    sweep = [image for image in dataset.images if image.name == "Top/沖線/001_TOP.jpg"][0]
    assert sweep.group == "沖線"  # the view folder (Top/Side) is not part of the wire's identity
    assert sweep.picture == LEGACY / "photo" / "Top" / "沖線" / "001_TOP.jpg"
    box = sweep.boxes[0]
    assert (box.label, box.x, box.y, box.width, box.height, box.attributes["view"]) == ("沖線", 334, 470, 206, 64, "TOP")
    assert {image.group for image in dataset.images} == {"PASS", "沖線", "晃動", "碰觸"}  # both views of a class folder share it


def test_legacy_refuses_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "annotations.db"
    path.write_text("hello")
    with pytest.raises(FormatError, match="annotations.db: this is not an SQLite database"):
        legacy.read(path)


def test_csv_desktop_columns_and_bad_number(tmp_path: Path) -> None:
    path = tmp_path / "boxes.csv"
    path.write_text(
        "image_name,bbox_x1,bbox_y1,bbox_x2,bbox_y2,view,defect,success\n"
        "001_TOP.jpg,10,20,110,60,TOP,沖線,True\n002_TOP.jpg,,,,,,,False\n003_TOP.jpg,1,2,x,4,TOP,PASS,True\n"
    )
    with pytest.raises(FormatError, match="boxes.csv, line 4: bbox_x2 is 'x'"):
        csv.read(path)
    path.write_text("\n".join(path.read_text().splitlines()[:3]) + "\n")
    dataset = csv.read(path)
    box = dataset.images[0].boxes[0]
    assert (box.label, box.x, box.y, box.width, box.height, box.attributes) == ("沖線", 10, 20, 100, 40, {"view": "TOP"})


def test_detect_recognises_every_fixture() -> None:
    kinds = {path.name: detect(path)[0] for path in FIXTURES.iterdir() if path.name not in ("SOURCES.md",)}
    assert kinds["coco_sahi_terrain2.json"] == "coco"
    assert kinds["labelstudio_converter_export_yolo_data.json"] == "labelstudio"
    assert kinds["cvat11_datumaro_export_project_annotations.xml"] == "cvat"
    assert kinds["voc_datumaro_dataset1_2007_000001.xml"] == "voc"
    assert kinds["datumaro_roboflow_yolo"] == "yolo"
    assert detect(LEGACY)[0] == "legacy"
    assert read_source(LEGACY).format == "legacy"


def test_format_modules_import_no_django() -> None:
    code = (
        "import sys; import interop.reading, interop.mapping; "
        "sys.exit(1 if any(m == 'django' or m.startswith('django.') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2]).returncode == 0


def test_a_dataset_yaml_of_any_name_is_read_when_given_directly(tmp_path: Path) -> None:
    """Ultralytics ships coco8.yaml, not data.yaml: the file the user names is the one read (issue 16 item 22)."""
    (tmp_path / "coco8.yaml").write_text("path: .\ntrain: images/train\nval: images/val\nnames:\n  0: PASS\n  1: SWEEP\n", encoding="utf-8")
    (tmp_path / "labels" / "train").mkdir(parents=True)
    (tmp_path / "labels" / "train" / "w1_TOP.txt").write_text("1 0.5 0.5 0.2 0.1\n")
    kind, target = detect(tmp_path / "coco8.yaml")
    assert (kind, target) == ("yolo", tmp_path / "coco8.yaml")
    dataset = read_source(tmp_path / "coco8.yaml")
    assert dataset.labels == ["PASS", "SWEEP"] and dataset.images[0].boxes[0].label == "SWEEP"


@pytest.mark.parametrize(("iscrowd", "crowd"), [(0, False), (1, True), ("false", False), ("0", False), ("true", True), (False, False)])
def test_coco_iscrowd_written_as_text_is_read_as_meant(tmp_path: Path, iscrowd: object, crowd: bool) -> None:
    import json

    path = tmp_path / "instances.json"
    data = {
        "images": [{"id": 1, "file_name": "w1_TOP.png", "width": 100, "height": 100}],
        "categories": [{"id": 1, "name": "PASS"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 30, 10], "iscrowd": iscrowd}],
    }
    path.write_text(json.dumps(data))
    box = coco.read(path).images[0].boxes[0]
    assert (box.attributes.get("iscrowd") == "1") is crowd


def test_a_path_that_does_not_exist_is_said_so(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="there is no file or folder of this name"):
        detect(tmp_path / "exports" / "missing.json")
    with pytest.raises(FormatError, match="no annotation file found here"):
        detect(tmp_path)  # an existing folder without annotations still says what it looked for


def test_labelstudio_boxes_without_the_original_size_take_it_from_the_picture_and_other_shapes_are_noted(tmp_path: Path) -> None:
    """Predictions and the 0.x 'completions' format carry no original_width/height (issue 16 items 17, 18)."""
    import json

    from PIL import Image as PILImage

    PILImage.new("RGB", (200, 100)).save(tmp_path / "w1_TOP.png")
    rectangle = {"type": "rectanglelabels", "value": {"x": 10, "y": 20, "width": 50, "height": 40, "rectanglelabels": ["PASS"]}}
    polygon = {"type": "polygonlabels", "value": {"points": [[1, 1], [5, 5], [1, 5]], "polygonlabels": ["PASS"]}}
    keypoint = {"type": "keypointlabels", "value": {"x": 3, "y": 3, "keypointlabels": ["PASS"]}}
    task = {"id": 1, "data": {"image": "/data/upload/1/0badcafe-w1_TOP.png"}, "completions": [{"result": [rectangle, polygon, keypoint]}]}
    (tmp_path / "export.json").write_text(json.dumps([task]))
    dataset = read_source(tmp_path / "export.json", pictures_root=tmp_path)
    box = dataset.images[0].boxes[0]
    assert box.normalized and box.in_pixels(200, 100) == pytest.approx((20, 20, 100, 40))
    assert dataset.images[0].picture == tmp_path / "w1_TOP.png"  # the upload prefix is not part of the name
    assert dataset.notes == ["2 shapes that are not boxes (polygons, keypoints, brushes, ellipses) were left out."]


def test_a_roboflow_coco_download_is_read_whole_with_each_subset_kept(tmp_path: Path) -> None:
    """train/, valid/ and test/, each with _annotations.coco.json and its pictures (issue 16 item 15)."""
    import json

    from PIL import Image as PILImage

    for subset, names in (("train", ["w1_TOP.jpg", "w1_SIDE.jpg"]), ("valid", ["w2_TOP.jpg"]), ("test", ["w3_TOP.jpg"])):
        folder = tmp_path / "download" / subset
        folder.mkdir(parents=True)
        images = []
        for index, name in enumerate(names, start=1):
            PILImage.new("RGB", (64, 48)).save(folder / name)
            images.append({"id": index, "file_name": name, "width": 64, "height": 48})
        data = {
            "images": images,
            "categories": [{"id": 0, "name": "wires", "supercategory": "none"}, {"id": 1, "name": "PASS", "supercategory": "wires"}],
            "annotations": [
                {"id": i, "image_id": image["id"], "category_id": 1, "bbox": [2, 3, 20, 10], "iscrowd": 0} for i, image in enumerate(images)
            ],
        }
        (folder / "_annotations.coco.json").write_text(json.dumps(data))
    dataset = read_source(tmp_path / "download")
    assert sorted(image.name for image in dataset.images) == ["w1_SIDE.jpg", "w1_TOP.jpg", "w2_TOP.jpg", "w3_TOP.jpg"]
    assert all(image.picture is not None and image.picture.parent.name == image.boxes[0].attributes["subset"] for image in dataset.images)
    assert {image.boxes[0].attributes["subset"] for image in dataset.images} == {"train", "valid", "test"}
    assert "Read 3 COCO files as one import (pictures per subset: test 1, train 2, valid 1)" in dataset.notes[-1]


def test_labelstudio_local_files_references_and_upload_prefixes_find_the_pictures_given(tmp_path: Path) -> None:
    """Issue 16 item 16: /data/local-files/?d=folder/pic.jpg and 8hex-pic.jpg name the pictures beside the export."""
    import json

    from PIL import Image as PILImage

    (tmp_path / "folder").mkdir()
    PILImage.new("RGB", (200, 100)).save(tmp_path / "folder" / "w2_TOP.png")
    PILImage.new("RGB", (200, 100)).save(tmp_path / "w3_SIDE.png")
    result = {
        "type": "rectanglelabels",
        "original_width": 200,
        "original_height": 100,
        "value": {"x": 10, "y": 20, "width": 50, "height": 40, "rectanglelabels": ["PASS"]},
    }
    tasks = [
        {"id": 1, "data": {"image": "/data/local-files/?d=folder/w2_TOP.png"}, "annotations": [{"result": [result]}]},
        {"id": 2, "data": {"image": "/data/upload/3/1a2b3c4d-w3_SIDE.png"}, "annotations": [{"result": [result]}]},
    ]
    (tmp_path / "export.json").write_text(json.dumps(tasks))
    dataset = read_source(tmp_path / "export.json")
    found = {image.name: image.picture for image in dataset.images}
    assert found == {"w2_TOP.png": tmp_path / "folder" / "w2_TOP.png", "w3_SIDE.png": tmp_path / "w3_SIDE.png"}
