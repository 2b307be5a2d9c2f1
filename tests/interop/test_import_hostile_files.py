"""Odd import files and fields from any annotator: a 400 with a sentence naming the file and place, never a 500."""

from __future__ import annotations

import json

import pytest

from annotations.models import LabelMapping
from tests.conftest import alias_bomb, png_bytes, zipped

pytestmark = pytest.mark.django_db
COCO_IMAGE = {"id": 1, "file_name": "a_TOP.png", "width": 64, "height": 48}


def coco(**parts: object) -> bytes:
    data = {"images": [COCO_IMAGE], "annotations": [], "categories": [{"id": 1, "name": "PASS"}]}
    return json.dumps({**data, **parts}).encode()


CASES: dict[str, tuple[dict[str, bytes], str]] = {
    "coco category id a list": (
        {"instances.json": coco(categories=[{"id": [1], "name": "PASS"}])},
        "instances.json, categories[0]: the id [1] is not a number or a name.",
    ),
    "coco image id an object": (
        {"instances.json": coco(images=[{**COCO_IMAGE, "id": {"a": 1}}])},
        "instances.json, images[0]: the id {&#x27;a&#x27;: 1} is not a number or a name.",
    ),
    "coco annotation image_id a list": (
        {"instances.json": coco(annotations=[{"id": 1, "image_id": [1], "category_id": 1, "bbox": [1, 1, 5, 5]}])},
        "instances.json, annotations[0] (id 1): image_id [1] is not in &#x27;images&#x27;.",
    ),
    "yolo labels not utf-8": (
        {"classes.txt": b"PASS\n", "a_TOP.txt": b"0 0.5 0.5 0.1 0.1\n\xff\xfe0 0.5 0.5 0.1 0.1\n", "a_TOP.png": png_bytes()},
        "a_TOP.txt, line 2: this is not UTF-8 text; save the file as UTF-8 and import it again.",
    ),
    "yolo yaml not utf-8": (
        {"data.yaml": b"names: [PASS, \xe9]\n", "a_TOP.txt": b"0 0.5 0.5 0.1 0.1\n", "a_TOP.png": png_bytes()},
        "data.yaml, line 1: this is not UTF-8 text",
    ),
    "yolo class list not utf-8": (
        {"classes.txt": b"PASS\nSWEEP\n\xe9\n", "a_TOP.txt": b"0 0.5 0.5 0.1 0.1\n", "a_TOP.png": png_bytes()},
        "classes.txt, line 3: this is not UTF-8 text",
    ),
    "csv not utf-8": (
        {"boxes.csv": b"image_name,bbox_x1,bbox_y1,bbox_x2,bbox_y2,defect\n\xe9_TOP.png,1,1,5,5,PASS\n"},
        "boxes.csv, line 2: this is not UTF-8 text",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_an_odd_import_file_gets_its_sentence(client, annotator, case: str) -> None:  # type: ignore[no-untyped-def]
    files, sentence = CASES[case]
    client.force_login(annotator)
    response = client.post("/import/", {"file": zipped(files, "hostile.zip"), "format": "auto"})
    assert response.status_code == 400
    assert sentence in response.content.decode()


@pytest.mark.parametrize("field", ["folder", "pictures"])
@pytest.mark.parametrize("value", ["lot\x00../../etc", "a" * 5000], ids=["nul-byte", "name-too-long"])
def test_an_odd_folder_name_gets_a_sentence(client, annotator, settings, tmp_path, field: str, value: str) -> None:  # type: ignore[no-untyped-def]
    settings.IMPORT_ROOT = tmp_path / "import"
    (settings.IMPORT_ROOT / "robo").mkdir(parents=True)
    (settings.IMPORT_ROOT / "robo" / "classes.txt").write_text("PASS\n")
    (settings.IMPORT_ROOT / "robo" / "a_TOP.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    client.force_login(annotator)
    response = client.post("/import/", {"folder": "robo", "format": "auto"} | {field: value})
    assert response.status_code == 400
    assert "is not a folder name the server can use; type the folder&#x27;s name as it is." in response.content.decode()


@pytest.mark.parametrize("load", ["abc", "1.5", "99999999999999999999999", "²", "4242"])
def test_loading_a_saved_mapping_by_an_odd_id_says_so_and_keeps_the_mapping(client, annotator, load: str) -> None:  # type: ignore[no-untyped-def]
    LabelMapping.objects.create(name="line 3", mapping={"labels": {"PASS": {"defect": "SWEEP"}}})
    client.force_login(annotator)
    files = {"instances.json": coco(annotations=[{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 5, 5]}])}
    start = client.post("/import/", {"file": zipped(files, "hostile.zip"), "format": "auto"})
    assert start.status_code == 302
    response = client.post(start["Location"], {"load": load}, follow=True)
    assert response.status_code == 200
    assert "That saved mapping no longer exists; choose another from the list." in response.content.decode()


def test_a_label_studio_task_whose_annotations_are_no_list_gets_a_sentence(client, annotator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(annotator)
    tasks = [{"id": 7, "data": {"image": "/data/upload/a_TOP.png"}, "annotations": -1}]
    response = client.post("/import/", {"file": zipped({"tasks.json": json.dumps(tasks).encode()}, "hostile.zip"), "format": "auto"})
    assert response.status_code == 400
    assert "tasks.json, task 1 (id 7): &#x27;annotations&#x27; must be a list." in response.content.decode()


def test_a_reader_that_trips_over_a_file_still_gives_a_sentence_and_logs_the_trace(client, annotator, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    from interop import reading

    def trips(path):  # type: ignore[no-untyped-def]  # a reader bug not yet found: the user still gets a sentence
        raise KeyError("bbox")

    monkeypatch.setattr(reading.coco, "read", trips)
    client.force_login(annotator)
    response = client.post("/import/", {"file": zipped({"instances.json": coco()}, "hostile.zip"), "format": "auto"})
    assert response.status_code == 400
    assert "instances.json: this could not be read as COCO instances JSON (KeyError)" in response.content.decode()
    assert "The server log has the details." in response.content.decode()
    assert any(record.exc_info and record.name == "wiresag.interop" for record in caplog.records)


def test_json_nested_deeper_than_python_parses_gets_a_sentence(client, annotator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(annotator)
    response = client.post("/import/", {"file": zipped({"instances.json": b"[" * 100_000}, "hostile.zip"), "format": "auto"})
    assert response.status_code == 400
    assert "instances.json: its JSON is nested deeper than any annotation file" in response.content.decode()


def test_a_yolo_yaml_whose_names_are_an_alias_bomb_gets_a_sentence(client, annotator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(annotator)
    files = {"data.yaml": alias_bomb("names", 7).encode(), "a_TOP.txt": b"0 0.5 0.5 0.1 0.1\n", "a_TOP.png": png_bytes()}
    response = client.post("/import/", {"file": zipped(files, "hostile.zip"), "format": "auto"})
    assert response.status_code == 400
    assert "data.yaml, names: each class name must be a plain word or number, not a list or a mapping." in response.content.decode()


def test_a_yaml_nested_thousands_deep_gets_a_sentence(client, annotator, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from django.core.management import call_command
    from django.core.management.base import CommandError

    client.force_login(annotator)
    deep = b"names: " + b"[" * 5000 + b"]" * 5000
    files = {"data.yaml": deep, "a_TOP.txt": b"0 0.5 0.5 0.1 0.1\n", "a_TOP.png": png_bytes()}
    response = client.post("/import/", {"file": zipped(files, "hostile.zip"), "format": "auto"})
    assert response.status_code == 400
    assert "data.yaml: this YAML nests too deeply to be a dataset file." in response.content.decode()
    config = tmp_path / "settings.yaml"
    config.write_bytes(b"lr: " + b"[" * 5000 + b"]" * 5000)
    with pytest.raises(CommandError, match="nests too deeply"):
        call_command("train", "view", "--config", str(config))
