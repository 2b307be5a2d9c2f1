"""Odd pictures and hostile names through the real inference path (tiny trained models): every picture gets its row,
the job and the reports survive, and what could not be inspected says why."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from PIL import Image as PILImage

from core.imaging.decode import open_image, to_rgb8
from core.imaging.pictures import PictureInput
from registry.versions import activate, register_version
from review.inspection import INSPECTION, job_dir, read_status, run_inspection, start_inspection
from tests.tiny_models import TinyModels, tiny_models

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> TinyModels:
    return tiny_models(tmp_path_factory.getbasetemp() / "tiny-models")


@pytest.fixture
def active_set(db, models: TinyModels):  # type: ignore[no-untyped-def]
    for model_type in ("detection", "view", "defect"):
        version = register_version(model_type, getattr(models, model_type), metrics={"pass_recall": 1.0, "accuracy": 0.5, "mAP50": 0.1})
        activate(version, None, reason="test")


@pytest.fixture(scope="module")
def pipeline(models: TinyModels, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from core.inspection.inference import InferencePipeline

    config = tmp_path_factory.mktemp("pipeline")
    return InferencePipeline(models.detection, models.view, models.defect, conf_threshold=0.001, device="cpu", config_dir=config)


def _encoded(image: PILImage.Image, fmt: str, **options) -> bytes:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


# --- 1. a control character in a picture's name fails the whole inspection (xlsx writer) ---------------


def test_a_control_character_in_a_zip_entry_name_does_not_fail_the_inspection_job(active_set, models) -> None:  # type: ignore[no-untyped-def]
    picture = models.samples[0].path.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lot/w1_TOP.png", picture)
        archive.writestr("lot/w1_SIDE.png", models.samples[1].path.read_bytes())
        archive.writestr("lot/esc\x1b_TOP.png", picture)
    buffer.seek(0)
    status = start_inspection(archive=buffer, archive_name="batch.zip", conf_threshold=0.001)
    run_inspection(status.id)
    status = read_status(INSPECTION, status.id)
    assert status.state == "done", status.message
    names = [row[0].value for row in load_workbook(job_dir(INSPECTION, status.id) / "report.xlsx")["Boxes"].iter_rows(min_row=2)]
    assert "lot/esc\ufffd_TOP.png" in names  # the control character is shown, not fatal


def test_infer_with_all_formats_survives_a_control_character_in_a_file_name(active_set, models, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "pictures"
    folder.mkdir()
    (folder / "w1_TOP.png").write_bytes(models.samples[0].path.read_bytes())
    (folder / "bell\x07_TOP.png").write_bytes(models.samples[0].path.read_bytes())
    output = tmp_path / "report.csv"
    call_command("infer", str(folder), "--output", str(output), "--conf", "0.001", "--format", "all", stdout=io.StringIO())
    assert output.with_suffix(".xlsx").is_file()
    assert len(_rows(output)) == 2


# --- 2. a file name that is not UTF-8 (e.g. GBK from a Windows share) loses the whole CSV --------------


def test_infer_writes_the_report_when_a_file_name_is_not_utf8(active_set, models, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "pictures"
    folder.mkdir()
    (folder / "w1_TOP.png").write_bytes(models.samples[0].path.read_bytes())
    # "线_TOP.png" in GBK, as a Windows share or an unzip without -O gives it on Linux.
    gbk_name = "线_TOP.png".encode("gbk")
    with open(os.path.join(os.fsencode(folder), gbk_name), "wb") as handle:
        handle.write(models.samples[1].path.read_bytes())
    output = tmp_path / "report.csv"
    call_command("infer", str(folder), "--output", str(output), "--conf", "0.001", stdout=io.StringIO())
    assert len(_rows(output)) == 2


# --- 3. the pipeline ignores WIRESAG_IMAGE_MAX_PIXELS, yet its refusal says to raise it ------------------


def test_inspection_honours_the_sites_pixel_limit(active_set, models, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.IMAGE_MAX_PIXELS = 1_000  # this site's limit (WIRESAG_IMAGE_MAX_PIXELS), far below the built-in one
    folder = tmp_path / "pictures"
    folder.mkdir()
    (folder / "w1_TOP.png").write_bytes(models.samples[0].path.read_bytes())
    output = tmp_path / "report.csv"
    call_command("infer", str(folder), "--output", str(output), "--conf", "0.001", stdout=io.StringIO())
    (row,) = _rows(output)
    assert row["success"] == "False" and "1,000" in row["error"], row["error"]


# --- 4. one NaN pixel in a float TIFF turns the whole picture black, and it is inspected as such ----------


def test_a_float_tiff_with_one_nan_pixel_is_not_inspected_as_a_black_picture(pipeline, models) -> None:  # type: ignore[no-untyped-def]
    grey = np.asarray(PILImage.open(models.samples[0].path).convert("L")).astype(np.float32) * 100.0
    clean = _encoded(PILImage.fromarray(grey), "TIFF")
    dead = grey.copy()
    dead[0, 0] = np.nan  # one dead detector pixel
    damaged = _encoded(PILImage.fromarray(dead), "TIFF")

    windowed = np.asarray(to_rgb8(open_image(damaged)[0]))
    clean_result = pipeline.inspect(PictureInput(name="w_TOP.tif", data=clean))
    nan_result = pipeline.inspect(PictureInput(name="w_TOP.tif", data=damaged))
    assert not nan_result.error and windowed.max() > 0  # windowed like the clean picture, the dead pixel ignored
    assert [(round(b.x1), round(b.y1), round(b.x2), round(b.y2)) for b in nan_result.boxes] == [
        (round(b.x1), round(b.y1), round(b.x2), round(b.y2)) for b in clean_result.boxes
    ]


# --- 5. pictures in a folder that are not inspected leave no row at all -----------------------------------


def test_infer_reports_every_picture_it_skips(active_set, models, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "pictures"
    folder.mkdir()
    grey = PILImage.open(models.samples[0].path).convert("RGB")
    (folder / "w1_TOP.png").write_bytes(models.samples[0].path.read_bytes())
    (folder / "w1_SIDE.webp").write_bytes(_encoded(grey, "WEBP"))  # the SIDE view, in a format Wiresag refuses
    (folder / "w2_TOP.gif").write_bytes(_encoded(grey.convert("P"), "GIF", save_all=True, append_images=[grey.convert("P")]))
    os.symlink(tmp_path / "moved-away.png", folder / "w3_TOP.png")  # a link whose picture was moved
    output = tmp_path / "report.csv"
    call_command("infer", str(folder), "--output", str(output), "--conf", "0.001", stdout=io.StringIO())
    rows = {row["image_name"]: row for row in _rows(output)}
    assert rows["w1_SIDE.webp"]["error"] == "WEBP pictures cannot be inspected; save it as PNG, JPEG, BMP or TIFF and inspect it again."
    assert rows["w2_TOP.gif"]["error"].startswith("GIF pictures cannot be inspected")
    assert rows["w3_TOP.png"]["error"].startswith("The file is a link to a picture that is not there any more")
    assert {rows[name]["success"] for name in ("w1_SIDE.webp", "w2_TOP.gif", "w3_TOP.png")} == {"False"}
    assert rows["w1_TOP.png"]["success"] == "True"


# --- 6. a newline in a name loses the picture's view and its wire's pairing -------------------------------


def test_a_newline_in_a_wire_name_keeps_the_view_and_pairs_the_two_views(active_set, models, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "pictures"
    folder.mkdir()
    (folder / "lot\n7_TOP.png").write_bytes(models.samples[0].path.read_bytes())
    (folder / "lot\n7_SIDE.png").write_bytes(models.samples[1].path.read_bytes())
    output = tmp_path / "report.csv"
    call_command("infer", str(folder), "--output", str(output), "--conf", "0.001", stdout=io.StringIO())
    rows = _rows(output)
    assert {row["wire_id"] for row in rows} == {"lot\n7"}, [row["wire_id"] for row in rows]
    assert all("Only the" not in row["wire_note"] for row in rows)
