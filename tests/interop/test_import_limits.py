"""What an import may cost the server: zip bounds, free space, job folders that never outlive the import."""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
from pathlib import Path

import pytest

from interop.apply import ImportRefused
from interop.sources import unpack_zip


def zip_file(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in entries.items():
            bundle.writestr(name, data)
    return path


def upload(entries: dict[str, bytes], name: str = "upload.zip") -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for entry, data in entries.items():
            bundle.writestr(entry, data)
    buffer.seek(0)
    buffer.name = name
    return buffer


@pytest.fixture
def data_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    return tmp_path / "data"


def job_folders(data_dir: Path) -> list[Path]:
    imports = data_dir / "imports"
    return sorted(imports.iterdir()) if imports.exists() else []


def test_unpack_refuses_too_many_entries(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.ZIP_MAX_ENTRIES = 3
    archive = zip_file(tmp_path / "many.zip", {f"{n}.txt": b"x" for n in range(4)})
    with pytest.raises(ImportRefused, match="4 entries.*WIRESAG_ZIP_MAX_ENTRIES"):
        unpack_zip(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unpack_refuses_a_zip_that_inflates_past_the_total_limit(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.ZIP_MAX_TOTAL_BYTES = 10_000_000
    archive = zip_file(tmp_path / "bomb.zip", {f"{n}.bin": bytes(4_000_000) for n in range(3)})  # 12 MB from ~35 KB
    assert archive.stat().st_size < 100_000
    with pytest.raises(ImportRefused, match="WIRESAG_ZIP_MAX_TOTAL_BYTES"):
        unpack_zip(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unpack_checks_free_space_before_writing(settings, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import shutil

    settings.IMPORT_MIN_FREE_BYTES = 1_000_000
    archive = zip_file(tmp_path / "fits.zip", {"a.bin": bytes(3_000_000)})
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=3_500_000))
    with pytest.raises(ImportRefused, match="room"):
        unpack_zip(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_picture_upload_zip_is_bounded_too(client, annotator, settings) -> None:  # type: ignore[no-untyped-def]
    from annotations.models import Image
    from tests.conftest import png_bytes

    client.force_login(annotator)
    settings.ZIP_MAX_ENTRIES = 2
    many = upload({f"{n}_TOP.png": png_bytes(seed=n) for n in range(3)}, "many.zip")
    results = client.post("/api/images/upload", {"files": [many]}).json()["results"]
    assert [(r["name"], r["status"]) for r in results] == [("many.zip", "error")]
    assert "3 entries" in results[0]["message"] and "WIRESAG_ZIP_MAX_ENTRIES" in results[0]["message"]
    settings.ZIP_MAX_ENTRIES, settings.ZIP_MAX_TOTAL_BYTES = 100, 5_000
    big = upload({"1_TOP.png": png_bytes(seed=1), "pad.bin": bytes(10_000)}, "big.zip")
    results = client.post("/api/images/upload", {"files": [big]}).json()["results"]
    assert [(r["name"], r["status"]) for r in results] == [("big.zip", "error")]
    assert "WIRESAG_ZIP_MAX_TOTAL_BYTES" in results[0]["message"]
    assert not Image.objects.exists()


def test_refused_upload_leaves_no_job_folder(client, annotator, settings, data_dir) -> None:  # type: ignore[no-untyped-def]
    settings.ZIP_MAX_TOTAL_BYTES = 1_000_000
    client.force_login(annotator)
    response = client.post("/import/", {"file": upload({"a.bin": bytes(2_000_000)}), "format": "auto"})
    assert response.status_code == 400 and "WIRESAG_ZIP_MAX_TOTAL_BYTES" in response.context["error"]
    assert job_folders(data_dir) == []


def test_unknown_format_is_a_400_and_leaves_nothing(client, annotator, data_dir) -> None:  # type: ignore[no-untyped-def]
    client.force_login(annotator)
    response = client.post("/import/", {"file": upload({"boxes.csv": b"image_name\n"}), "format": "bogus"})
    assert response.status_code == 400
    assert "'bogus' is not a format" in response.context["error"]
    assert job_folders(data_dir) == []


def test_an_unexpected_failure_leaves_no_job_folder(client, annotator, data_dir, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr("interop.views.read_source", broken)
    client.raise_request_exception = False
    client.force_login(annotator)
    response = client.post("/import/", {"file": upload({"boxes.csv": b"image_name\n"}), "format": "auto"})
    assert response.status_code == 500
    assert job_folders(data_dir) == []


def _started_job(client, annotator) -> str:  # type: ignore[no-untyped-def]
    from tests.interop.test_pages import legacy_zip

    client.force_login(annotator)
    response = client.post("/import/", {"file": legacy_zip(), "format": "auto"})
    assert response.status_code == 302
    return response["Location"]


def test_cancelled_import_removes_its_folder(client, annotator, data_dir) -> None:  # type: ignore[no-untyped-def]
    location = _started_job(client, annotator)
    assert len(job_folders(data_dir)) == 1
    response = client.post(location + "cancel/")
    assert response.status_code == 302
    assert job_folders(data_dir) == []
    assert client.get(location).status_code == 404


def test_applied_import_removes_its_folder(client, annotator, data_dir) -> None:  # type: ignore[no-untyped-def]
    location = _started_job(client, annotator)
    client.post(location + "apply/")
    assert job_folders(data_dir) == []


def test_maintenance_expires_abandoned_import_folders_only(db, client, annotator, data_dir, settings) -> None:  # type: ignore[no-untyped-def]
    from django.utils.module_loading import import_string
    from django_q.models import Schedule

    # The schedule the migration made is what runs: call its function the way the worker would.
    periodic_maintenance = import_string(Schedule.objects.get(name="interop-expire-imports").func)
    settings.IMPORT_EXPIRE_HOURS = 24
    _started_job(client, annotator)
    old, fresh = job_folders(data_dir)[0], data_dir / "imports" / ("f" * 32)
    fresh.mkdir()
    (fresh / "job.json").write_text(json.dumps({"user": annotator.pk}), encoding="utf-8")
    unrelated = data_dir / "imports" / "README.txt"
    unrelated.write_text("kept", encoding="utf-8")
    day_ago = time.time() - 25 * 3600
    for path in [old, *old.rglob("*")]:
        os.utime(path, (day_ago, day_ago))
    periodic_maintenance()
    assert job_folders(data_dir) == sorted([fresh, unrelated])


def test_messages_name_what_the_user_gave_not_server_paths(client, annotator, data_dir) -> None:  # type: ignore[no-untyped-def]
    client.force_login(annotator)
    empty = client.post("/import/", {"file": upload({"readme.md": b"hello"}, "lot42.zip"), "format": "auto"})
    assert empty.status_code == 400
    error = empty.context["error"]
    assert error.startswith("lot42.zip: no annotation file found") and "unpacked" not in error
    coco = {
        "images": [{"id": 1, "file_name": "a_TOP.png"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 4, 4]}],
        "categories": [{"id": 1, "name": "PASS"}],
    }
    started = client.post(
        "/import/", {"file": upload({"coco.json": json.dumps(coco).encode(), "a_TOP.png": b"not a picture"}), "format": "auto"}
    )
    assert started.status_code == 302
    page = client.get(started["Location"])
    form = {f"labels-{row['index']}-defect": "PASS" for row in page.context["rows"]["labels"]}
    report = client.post(started["Location"], {**form, "default_view": "TOP", "outside": "clip"})
    reasons = [item.reason for item in report.context["plan"].skipped]
    assert reasons and all("<_io" not in reason and str(data_dir) not in reason for reason in reasons), reasons
    assert reasons[0] == "unreadable picture (a_TOP.png is not a picture Wiresag can read)"


def test_prediction_upload_zip_is_bounded_too(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from review.inspection import PredictionUnavailable, _zip_inputs

    settings.ZIP_MAX_ENTRIES = 2
    zip_file(tmp_path / "upload.zip", {f"{n}_TOP.png": b"x" for n in range(3)})
    with pytest.raises(PredictionUnavailable, match="WIRESAG_ZIP_MAX_ENTRIES"):
        _zip_inputs(tmp_path)
