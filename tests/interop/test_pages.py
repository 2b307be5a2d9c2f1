"""The browser flow through Django's test client: upload, map, dry run, apply; export download."""

from __future__ import annotations

import io
import shutil
import time
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
    assert [image.pk for image, *_ in applied.context["cards"]][:8] == sorted(Image.objects.values_list("pk", flat=True), reverse=True)


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


def test_export_runs_in_the_background_with_progress_and_a_download_link(  # type: ignore[no-untyped-def]
    transactional_db, client, annotator, make_image, settings, tmp_path
) -> None:
    settings.DATA_DIR = tmp_path / "data"
    image = make_image("5_SIDE.png", 40, 30)
    Annotation.objects.create(image=image, x=1, y=2, width=10, height=5, view="SIDE", defect="SWEEP")
    client.login(username=annotator.username, password=PASSWORD)
    assert client.get("/export/").status_code == 200
    response = client.post("/export/", {"format": "cvat", "view": "SIDE"})
    assert response.status_code == 302  # the request only starts the job (a thread beside the web, not the worker's queue)
    job_page = response["Location"]
    job_id = job_page.rstrip("/").rsplit("/", 1)[1]
    deadline = time.monotonic() + 30
    while not (status := client.get(f"/export/{job_id}/status").json())["finished"]:
        assert time.monotonic() < deadline, status
        time.sleep(0.1)
    assert status["state"] == "done" and status["done"] == status["total"] == 1 and status["percent"] == 100
    assert status["user"] == annotator.username
    assert "Exported 1 boxes on 1 pictures" in status["message"]
    page = client.get(job_page).content.decode()
    assert f'href="/export/{job_id}/download"' in page
    download = client.get(f"/export/{job_id}/download")
    assert download["Content-Disposition"].startswith('attachment; filename="wiresag-cvat-')
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as bundle:
        assert 'label="SIDE_SWEEP"' in bundle.read("annotations.xml").decode()
        assert bundle.getinfo("images/5_SIDE.png").compress_type == zipfile.ZIP_STORED  # pictures are not deflated again
    assert job_id in client.get("/export/").content.decode()  # listed under the recent exports


def test_an_export_that_matches_nothing_is_refused_on_the_form_with_the_choices_kept(
    client, annotator, make_image, settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    Annotation.objects.create(image=make_image("5_SIDE.png", 40, 30), x=1, y=2, width=10, height=5, view="SIDE", defect="SWEEP")
    client.login(username=annotator.username, password=PASSWORD)
    response = client.post("/export/", {"format": "coco", "defect": "PASS", "name": "lot7", "labels_only": "on"})
    assert response.status_code == 400
    assert response.context["error"] == "No boxes match these filters; widen them and try again."
    page = response.content.decode()
    assert '<option value="coco" selected>' in page and '<option value="PASS" selected>' in page
    assert 'value="lot7"' in page and 'name="labels_only" checked' in page
    assert not (tmp_path / "data" / "exports").exists()  # nothing was queued
    assert client.post("/export/", {"format": "pickle"}).context["error"] == "Choose an export format."


def test_export_job_ids_are_checked_before_any_path_is_built(client, annotator, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    secret = tmp_path / "data" / "export.zip"
    secret.parent.mkdir(parents=True)
    secret.write_bytes(b"not yours")
    client.login(username=annotator.username, password=PASSWORD)
    for bad in ("..", "%2e%2e", "20260101-000000-abcdeg", "x" * 30):
        assert client.get(f"/export/{bad}/download").status_code == 404
        assert client.get(f"/export/{bad}/status").status_code == 404


def test_a_failed_export_says_why_on_its_page(client, annotator, make_image, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from interop.exports import run_export, start_export

    settings.DATA_DIR = tmp_path / "data"
    image = make_image("5_SIDE.png", 40, 30)
    Annotation.objects.create(image=image, x=1, y=2, width=10, height=5, view="SIDE", defect="SWEEP")
    status = start_export({"view": "", "defect": "", "wire_group": "", "name": ""}, "coco", include_pictures=True, for_training=True)
    Path(image.file.path).unlink()  # the stored picture vanished from the disk after queueing
    run_export(status.id)
    client.login(username=annotator.username, password=PASSWORD)
    page = client.get(f"/export/{status.id}/").content.decode()
    assert "failed" in page and 'role="alert"' in page
    assert "1 picture of the selection is missing its file in the data folder: 5_SIDE.png." in page
    assert "export the labels only" in page
    assert not list((tmp_path / "data" / "exports" / status.id).glob("export.zip*"))


def test_an_export_cut_off_by_a_restart_says_so(client, annotator, make_image, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    from interop.exports import INTERRUPTED_AFTER_SECONDS, root, start_export

    settings.DATA_DIR = tmp_path / "data"
    Annotation.objects.create(image=make_image("5_SIDE.png", 40, 30), x=1, y=2, width=10, height=5, view="SIDE", defect="SWEEP")
    status = start_export({}, "csv", include_pictures=False, for_training=True)  # its thread never ran (no commit here)
    client.login(username=annotator.username, password=PASSWORD)
    assert client.get(f"/export/{status.id}/status").json()["state"] == "queued"
    long_ago = time.time() - INTERRUPTED_AFTER_SECONDS - 5
    os.utime(root() / status.id / "status.json", (long_ago, long_ago))
    answer = client.get(f"/export/{status.id}/status").json()
    assert answer["state"] == "failed" and "the web server was restarted while it ran. Start it again." in answer["message"]


def test_finished_exports_expire(make_image, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import time

    from interop.exports import expire_finished, run_export, start_export

    settings.DATA_DIR = tmp_path / "data"
    Annotation.objects.create(image=make_image("5_SIDE.png", 40, 30), x=1, y=2, width=10, height=5, view="SIDE", defect="SWEEP")
    old, new = (start_export({}, "csv", include_pictures=False, for_training=True) for _ in range(2))
    for status in (old, new):
        run_export(status.id)
    folder = tmp_path / "data" / "exports"
    stranger = folder / "keep-me"
    stranger.mkdir()
    two_days_ago = time.time() - 48 * 3600
    for path in (folder / old.id, stranger):
        os.utime(path, (two_days_ago, two_days_ago))
    assert expire_finished() == [old.id]
    assert sorted(p.name for p in folder.iterdir()) == sorted([new.id, "keep-me"])


def test_import_with_an_unsafe_wire_group_is_refused_and_leaves_nothing(client, annotator, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    client.login(username=annotator.username, password=PASSWORD)
    response = client.post("/import/", {"file": legacy_zip(), "format": "auto", "wire_group": "../../../../somewhere"})
    assert response.status_code == 400
    assert "The wire group '../../../../somewhere' contains '..'" in response.context["error"]
    assert not any((tmp_path / "data" / "imports").glob("*"))


def test_the_mapping_page_of_a_labels_only_file_says_its_pictures_are_matched_in_the_library(client, annotator, make_image) -> None:  # type: ignore[no-untyped-def]
    """A CSV names pictures without holding them: the page said '0 of them found in the source' and nothing more, though
    the plan then finds every one of them in the library."""
    from tests.conftest import zipped

    make_image("001_TOP.png", 40, 30)
    client.login(username=annotator.username, password=PASSWORD)
    csv = b"image_name,bbox_x1,bbox_y1,bbox_x2,bbox_y2,view,defect\n001_TOP.png,1,1,20,10,TOP,SWEEP\n"
    response = client.post("/import/", {"file": zipped({"boxes.csv": csv}, "boxes.zip"), "format": "auto"})
    page = client.get(response["Location"]).content.decode()
    assert "1 pictures named, 0 of them found in the source. The others are matched by name to pictures already in the library" in page
    legacy = client.get(client.post("/import/", {"file": legacy_zip(), "format": "auto"})["Location"]).content.decode()
    assert "8 of them found in the source." in legacy and "matched by name" not in legacy
