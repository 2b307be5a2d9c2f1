"""Import apply: a picture the dry run accepts but that cannot be read, a full disk, a double click: a sentence, nothing lost or doubled."""

from __future__ import annotations

import errno

import pytest
from django.test import Client

from annotations.models import Annotation, Image
from tests.conftest import png_bytes, zipped

pytestmark = pytest.mark.django_db


def _start(client: Client, files: dict[str, bytes]) -> str:
    response = client.post("/import/", {"file": zipped(files, "lot.zip"), "format": "auto"})
    assert response.status_code == 302, response.content.decode()[:2000]
    location = response["Location"]
    page = client.get(location)
    form = {}
    for row in page.context["rows"]["labels"]:
        form[f"labels-{row['index']}-defect"] = "PASS"
        form[f"labels-{row['index']}-view"] = "TOP"
    for row in page.context["rows"]["attributes"]:
        form[f"attributes-{row['index']}-view"] = ""
        form[f"attributes-{row['index']}-defect"] = ""
    form.update(outside="clip", save_as="")
    report = client.post(location, form)
    assert report.status_code == 200
    return location


def _yolo(pictures: dict[str, bytes]) -> dict[str, bytes]:
    files = {"classes.txt": b"PASS\n"}
    for name, data in pictures.items():
        files[name] = data
        files[name.rsplit(".", 1)[0] + ".txt"] = b"0 0.5 0.5 0.2 0.2\n"
    return files


def test_a_truncated_picture_in_an_import_gets_a_sentence_not_a_500(annotator) -> None:
    """The dry run opens only the header; apply decodes fully and raises UnreadableImage -> 500, nothing imported."""
    good = png_bytes(seed=1)
    truncated = png_bytes(seed=2)[:-60]  # header intact, pixel data cut
    client = Client(raise_request_exception=False)
    client.force_login(annotator)
    location = _start(client, _yolo({"a_TOP.png": good, "b_TOP.png": truncated}))
    applied = client.post(location + "apply/", follow=True)
    assert applied.status_code == 200
    body = applied.content.decode()
    assert "1 pictures could not be read and were left out with their boxes (b_TOP.png:" in body
    assert list(Image.objects.values_list("original_name", flat=True)) == ["a_TOP.png"] and Annotation.objects.count() == 1


def test_a_full_disk_during_import_apply_gets_a_sentence(annotator, monkeypatch) -> None:
    from django.core.files.storage import FileSystemStorage

    client = Client(raise_request_exception=False)
    client.force_login(annotator)
    location = _start(client, _yolo({"a_TOP.png": png_bytes(seed=1), "b_TOP.png": png_bytes(seed=2)}))
    original = FileSystemStorage._save
    calls = {"n": 0}

    def full(self, name, content):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] > 3:  # the second picture's original
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", full)
    applied = client.post(location + "apply/", follow=True)
    assert Image.objects.count() == 0  # rolled back
    assert applied.status_code == 200
    assert "Nothing was imported: the server could not write the pictures (No space left on device)" in applied.content.decode()
    monkeypatch.setattr(FileSystemStorage, "_save", original)  # room again: the kept import applies
    client.post(location + "apply/")
    assert Image.objects.count() == 2 and Annotation.objects.count() == 2


def _racing(monkeypatch, annotator, location):  # type: ignore[no-untyped-def]
    import interop.views as views

    real_apply = views.apply_plan
    state = {"nested": False, "second": None}

    def racing_apply(plan, user):  # type: ignore[no-untyped-def]
        if not state["nested"]:
            state["nested"] = True
            second = Client(raise_request_exception=False)
            second.force_login(annotator)
            # the second click lands while the first is planning
            state["second"], state["client"] = second.post(location + "apply/"), second
        return real_apply(plan, user)

    monkeypatch.setattr(views, "apply_plan", racing_apply)
    return state


def test_apply_clicked_twice_on_a_server_folder_import_does_not_import_the_boxes_twice(annotator, monkeypatch, settings, tmp_path) -> None:
    """Two tabs / a double click: both requests plan before either applies; both apply, every box twice."""
    settings.IMPORT_ROOT = tmp_path / "import"
    lot = settings.IMPORT_ROOT / "lot"
    lot.mkdir(parents=True)
    for name, data in _yolo({"a_TOP.png": png_bytes(seed=1), "b_TOP.png": png_bytes(seed=2)}).items():
        (lot / name).write_bytes(data)
    client = Client(raise_request_exception=False)
    client.force_login(annotator)
    response = client.post("/import/", {"folder": "lot", "format": "auto"})
    assert response.status_code == 302, response.content.decode()[:2000]
    location = response["Location"]
    page = client.get(location)
    form = {f"labels-{row['index']}-defect": "PASS" for row in page.context["rows"]["labels"]}
    form.update({f"labels-{row['index']}-view": "TOP" for row in page.context["rows"]["labels"]})
    form.update(outside="clip", save_as="")
    client.post(location, form)
    _racing(monkeypatch, annotator, location)
    client.post(location + "apply/")
    assert Image.objects.count() == 2
    assert Annotation.objects.count() == 2, f"the import's boxes came in twice: {Annotation.objects.count()} boxes"


def test_apply_clicked_twice_on_an_uploaded_zip_gives_a_sentence_not_a_500(annotator, monkeypatch) -> None:
    """The first apply to finish removes the unpacked pictures; the other one then crashes reading them."""
    client = Client(raise_request_exception=False)
    client.force_login(annotator)
    location = _start(client, _yolo({"a_TOP.png": png_bytes(seed=1), "b_TOP.png": png_bytes(seed=2)}))
    state = _racing(monkeypatch, annotator, location)
    first = client.post(location + "apply/")
    assert Annotation.objects.count() == 2
    assert first.status_code == 302 and state["second"].status_code == 302
    followed = state["client"].get(state["second"]["Location"])
    assert "This import is already being applied (a second click)" in followed.content.decode()
