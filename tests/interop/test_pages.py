"""The browser flow through Django's test client: upload, map, dry run, apply; export download."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

from annotations.models import Annotation, Image, LabelMapping
from tests.conftest import PASSWORD

LEGACY = Path("/work/shared/samples/legacy")
FIXTURES = Path("/work/shared/fixtures/interop")


def legacy_zip() -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for path in LEGACY.rglob("*"):
            if path.is_file():
                bundle.write(path, path.relative_to(LEGACY).as_posix())
    buffer.seek(0)
    buffer.name = "legacy.zip"
    return buffer


def test_upload_map_dry_run_apply_the_legacy_zip(client, annotator) -> None:  # type: ignore[no-untyped-def]
    client.login(username=annotator.username, password=PASSWORD)
    response = client.post("/import/", {"file": legacy_zip(), "format": "auto"})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "沖線" in page.content.decode() and "view=TOP" in page.content.decode()
    labels = list(page.context["rows"]["labels"])
    form = {f"labels-{row['index']}-defect": row["defect"] for row in labels}
    form.update({f"labels-{row['index']}-view": "" for row in labels})
    for row in page.context["rows"]["attributes"]:
        form[f"attributes-{row['index']}-view"] = row["view"]
        form[f"attributes-{row['index']}-defect"] = ""
    form.update(outside="clip", save_as="desktop tool")
    report = client.post(response["Location"], form)
    assert "8 boxes on 8 pictures will come in" in report.content.decode()
    assert Image.objects.count() == 0
    assert LabelMapping.objects.get(name="desktop tool").mapping["labels"]["晃動"]["defect"] == "WOBBLE"
    applied = client.post(response["Location"] + "apply/", follow=True)
    assert "Imported 8 boxes and 8 new pictures" in applied.content.decode()
    assert Annotation.objects.filter(view="SIDE", defect="TOUCH").count() == 1
    # The import ends in the library, where the imported pictures come first.
    assert applied.redirect_chain[-1][0] == "/library/"
    assert [image.pk for image, _ in applied.context["cards"]][:8] == sorted(Image.objects.values_list("pk", flat=True), reverse=True)


def test_an_import_where_nothing_would_come_in_offers_no_apply(client, annotator) -> None:  # type: ignore[no-untyped-def]
    client.login(username=annotator.username, password=PASSWORD)
    response = client.post("/import/", {"file": legacy_zip(), "format": "auto"})
    page = client.get(response["Location"])
    form = {f"labels-{row['index']}-defect": "" for row in page.context["rows"]["labels"]}
    form.update({f"labels-{row['index']}-view": "" for row in page.context["rows"]["labels"]})
    for row in page.context["rows"]["attributes"]:
        form[f"attributes-{row['index']}-view"] = ""
        form[f"attributes-{row['index']}-defect"] = ""
    form.update(outside="clip", save_as="")
    report = client.post(response["Location"], form).content.decode()
    assert "0 boxes on" in report and "Apply the import" not in report and 'id="nothing-to-apply"' in report
    refused = client.post(response["Location"] + "apply/", follow=True)
    assert "Nothing would come in" in refused.content.decode() and not Image.objects.exists()


def test_the_import_page_shows_the_server_folder_to_administrators_only(client, annotator, admin_user, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.IMPORT_ROOT = tmp_path / "secret-import-root"
    client.login(username=annotator.username, password=PASSWORD)
    page = client.get("/import/").content.decode()
    assert "secret-import-root" not in page and "ask your administrator where it is" in page
    client.login(username=admin_user.username, password=PASSWORD)
    assert "secret-import-root" in client.get("/import/").content.decode()


def test_server_folder_outside_import_root_is_refused(client, annotator, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.IMPORT_ROOT = tmp_path / "import"
    shutil.copytree(FIXTURES / "datumaro_roboflow_yolo", tmp_path / "import" / "robo")
    client.login(username=annotator.username, password=PASSWORD)
    refused = client.post("/import/", {"folder": "../../etc", "format": "auto"})
    assert refused.status_code == 400 and "Only folders inside the import folder" in refused.content.decode()
    bad = client.post("/import/", {"file": io.BytesIO(b'[{"image_id": 1, "bbox": [0,0,1,1]}]'), "format": "coco"})
    assert bad.status_code == 400
    accepted = client.post("/import/", {"folder": "robo", "format": "auto"})
    assert accepted.status_code == 302
    page = client.get(accepted["Location"])
    assert "label_0" in page.content.decode()


def test_export_page_downloads_a_zip(client, annotator, make_image) -> None:  # type: ignore[no-untyped-def]
    image = make_image("5_SIDE.png", 40, 30)
    Annotation.objects.create(image=image, x=1, y=2, width=10, height=5, view="SIDE", defect="SWEEP")
    client.login(username=annotator.username, password=PASSWORD)
    assert client.get("/export/").status_code == 200
    response = client.post("/export/", {"format": "cvat", "view": "SIDE"})
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as bundle:
        assert 'label="SIDE_SWEEP"' in bundle.read("annotations.xml").decode()
    assert client.post("/export/", {"format": "coco", "defect": "PASS"}).status_code == 400


def test_import_with_an_unsafe_wire_group_is_refused_and_leaves_nothing(client, annotator, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    client.login(username=annotator.username, password=PASSWORD)
    response = client.post("/import/", {"file": legacy_zip(), "format": "auto", "wire_group": "../../../../somewhere"})
    assert response.status_code == 400
    assert "The wire group '../../../../somewhere' contains '..'" in response.context["error"]
    assert not any((tmp_path / "data" / "imports").glob("*"))
