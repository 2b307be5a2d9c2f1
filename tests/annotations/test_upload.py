"""Uploading many pictures and zips: every bad file gets its own sentence, the good ones go in."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from annotations.models import Image
from tests.conftest import PASSWORD, png_bytes

UPLOAD_URL = "/api/images/upload"


@pytest.fixture
def client_in(client, annotator):  # type: ignore[no-untyped-def]
    client.login(username=annotator.username, password=PASSWORD)
    return client


def upload(client, *files: tuple[str, bytes], **extra: str):  # type: ignore[no-untyped-def]
    payload = {"files": [SimpleUploadedFile(name, data) for name, data in files], **extra}
    response = client.post(UPLOAD_URL, payload)
    assert response.status_code == 200, response.content
    return {result["name"]: result for result in response.json()["results"]}


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_many_pictures_in_one_request(client_in, settings):
    results = upload(client_in, ("w1_TOP.png", png_bytes(seed=1)), ("w1_SIDE.png", png_bytes(seed=2)))
    assert {r["status"] for r in results.values()} == {"created"}
    top, side = Image.objects.order_by("id")
    assert (top.wire_id, top.view, side.view) == ("w1", "TOP", "SIDE")
    assert len(stored_files(settings.MEDIA_ROOT)) == 6  # original, display copy, thumbnail each


def test_same_bytes_twice_reported_as_duplicate(client_in):
    data = png_bytes(seed=3)
    upload(client_in, ("a_TOP.png", data))
    results = upload(client_in, ("b_TOP.png", data), ("c_TOP.png", png_bytes(seed=4)))
    assert results["b_TOP.png"]["status"] == "duplicate"
    assert "already in the library as 'a_TOP.png'" in results["b_TOP.png"]["message"]
    assert results["c_TOP.png"]["status"] == "created"
    assert Image.objects.count() == 2


def truncated_png() -> bytes:
    data = png_bytes(width=200, height=200, seed=5)
    return data[: len(data) // 2]


def bomb_png() -> bytes:
    buffer = io.BytesIO()
    PILImage.new("L", (3000, 3000)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("corrupt_TOP.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 50, "damaged or truncated"),
        ("truncated_TOP.png", truncated_png(), "damaged or truncated"),
        ("empty_TOP.png", b"", "empty"),
        ("notes_TOP.png", b"just some text, not a picture\n" * 20, "not a picture"),
        ("drawing_TOP.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "SVG/HTML"),
        ("page_TOP.jpg", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "SVG/HTML"),
        ("bomb_TOP.png", bomb_png(), "decompression bomb"),
    ],
)
def test_bad_file_refused_with_a_sentence_while_the_good_one_goes_in(client_in, settings, name, data, fragment):
    settings.IMAGE_MAX_PIXELS = 1_000_000
    results = upload(client_in, (name, data), ("good_TOP.png", png_bytes(seed=6)))
    assert results[name]["status"] == "error"
    assert fragment in results[name]["message"]
    assert results["good_TOP.png"]["status"] == "created"
    assert list(Image.objects.values_list("original_name", flat=True)) == ["good_TOP.png"]
    assert len(stored_files(settings.MEDIA_ROOT)) == 3


def test_file_over_upload_limit_refused(client_in, settings):
    big = png_bytes(width=300, height=300, seed=7)
    settings.UPLOAD_MAX_BYTES = len(big) - 1
    results = upload(client_in, ("big_TOP.png", big), ("small_TOP.png", png_bytes(seed=8)))
    assert results["big_TOP.png"]["status"] == "error"
    assert "WIRESAG_UPLOAD_MAX_BYTES" in results["big_TOP.png"]["message"]
    assert results["small_TOP.png"]["status"] == "created"


def test_sixteen_bit_picture_keeps_its_range_in_the_display_copy(client_in):
    ramp = np.linspace(20000, 60000, 64 * 48).astype(np.uint16).reshape(48, 64)
    buffer = io.BytesIO()
    PILImage.fromarray(ramp).save(buffer, format="PNG")
    upload(client_in, ("deep_TOP.png", buffer.getvalue()))
    image = Image.objects.get()
    assert image.bit_depth == 16
    display = np.asarray(PILImage.open(image.display_file.path).convert("L"))
    # Windowed, not clipped: the ramp still spans dark to bright with many distinct levels.
    assert display.min() < 10 and display.max() > 245
    assert len(np.unique(display)) > 200


def test_unicode_and_spaces_in_names(client_in):
    results = upload(client_in, ("批次 7 線 01_SIDE.png", png_bytes(seed=9)))
    assert results["批次 7 線 01_SIDE.png"]["status"] == "created"
    image = Image.objects.get()
    assert (image.original_name, image.wire_id, image.view) == ("批次 7 線 01_SIDE.png", "批次 7 線 01", "SIDE")


def test_zip_pictures_go_in_with_folder_as_lot_and_views_paired(client_in):
    archive = zip_bytes(
        {
            "photo/Top/PASS/001_TOP.png": png_bytes(seed=10),
            "photo/Side/PASS/001_SIDE.png": png_bytes(seed=11),
            "photo/Top/SWEEP/001_TOP.png": png_bytes(seed=12),
            "__MACOSX/photo/._001_TOP.png": b"junk",
        }
    )
    results = upload(client_in, ("lot.zip", archive), wire_group="L7")
    assert results["lot.zip/photo/Top/PASS/001_TOP.png"]["status"] == "created"
    assert results["lot.zip/__MACOSX/photo/._001_TOP.png"]["status"] == "skipped"
    groups = sorted(Image.objects.values_list("wire_group", "wire_id", "view"))
    assert groups == [("L7/photo/PASS", "001", "SIDE"), ("L7/photo/PASS", "001", "TOP"), ("L7/photo/SWEEP", "001", "TOP")]


def test_zip_slip_entries_refused_and_nothing_written_outside_media(client_in, settings, tmp_path):
    archive = zip_bytes(
        {
            "../../evil_TOP.png": png_bytes(seed=13),
            "/tmp/abs_TOP.png": png_bytes(seed=14),
            "C:\\windows\\drive_TOP.png": png_bytes(seed=15),
            "ok/fine_TOP.png": png_bytes(seed=16),
        }
    )
    results = upload(client_in, ("slip.zip", archive))
    for name in ("slip.zip/../../evil_TOP.png", "slip.zip//tmp/abs_TOP.png"):
        assert results[name]["status"] == "error"
        assert "outside the library" in results[name]["message"]
    assert [r["status"] for n, r in results.items() if "drive" in n] == ["error"]
    assert results["slip.zip/ok/fine_TOP.png"]["status"] == "created"
    assert list(Image.objects.values_list("original_name", flat=True)) == ["fine_TOP.png"]
    media = settings.MEDIA_ROOT.resolve()
    for name in ("evil_TOP.png", "abs_TOP.png", "drive_TOP.png"):
        for path in tmp_path.parent.rglob(name):
            assert media in path.resolve().parents
    assert not Path("/tmp/abs_TOP.png").exists()


def test_zip_entry_inflating_past_the_limit_refused(client_in, settings):
    settings.ZIP_ENTRY_MAX_BYTES = 4 * 1024 * 1024
    archive = zip_bytes({"bomb_TOP.png": b"\0" * (6 * 1024 * 1024), "good_TOP.png": png_bytes(seed=17)})
    results = upload(client_in, ("bomb.zip", archive))
    assert results["bomb.zip/bomb_TOP.png"]["status"] == "error"
    assert "WIRESAG_ZIP_ENTRY_MAX_BYTES" in results["bomb.zip/bomb_TOP.png"]["message"]
    assert results["bomb.zip/good_TOP.png"]["status"] == "created"


def _patch_sizes(archive: bytes, entry_name: bytes, fake_size: int) -> bytes:
    """Make the headers of ``entry_name`` claim ``fake_size`` uncompressed bytes."""
    data = bytearray(archive)
    local = data.index(b"PK\x03\x04" + data[4:4])  # first local header
    while True:
        name_length = struct.unpack_from("<H", data, local + 26)[0]
        if bytes(data[local + 30 : local + 30 + name_length]) == entry_name:
            struct.pack_into("<I", data, local + 22, fake_size)
            break
        local = data.index(b"PK\x03\x04", local + 4)
    central = data.index(b"PK\x01\x02")
    while True:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46 : central + 46 + name_length]) == entry_name:
            struct.pack_into("<I", data, central + 24, fake_size)
            return bytes(data)
        central = data.index(b"PK\x01\x02", central + 4)


def test_zip_entry_with_lying_header_size_refused(client_in, settings):
    settings.ZIP_ENTRY_MAX_BYTES = 1024 * 1024
    archive = _patch_sizes(zip_bytes({"liar_TOP.png": b"\0" * (3 * 1024 * 1024), "good_TOP.png": png_bytes(seed=18)}), b"liar_TOP.png", 100)
    results = upload(client_in, ("liar.zip", archive))
    assert results["liar.zip/liar_TOP.png"]["status"] == "error"
    assert results["liar.zip/good_TOP.png"]["status"] == "created"
    assert Image.objects.count() == 1


def test_corrupt_zip_gets_a_sentence_and_other_files_go_in(client_in):
    results = upload(client_in, ("broken.zip", b"PK\x03\x04 not really a zip"), ("good_TOP.png", png_bytes(seed=19)))
    assert results["broken.zip"]["status"] == "error"
    assert "damaged or truncated" in results["broken.zip"]["message"]
    assert results["good_TOP.png"]["status"] == "created"


def test_upload_without_files_is_400(client_in):
    response = client_in.post(UPLOAD_URL, {})
    assert response.status_code == 400
    assert "Choose one or more" in response.json()["error"]


def test_upload_needs_annotator_role(client, django_user_model):
    django_user_model.objects.create_user("visitor", password=PASSWORD)
    client.login(username="visitor", password=PASSWORD)
    response = client.post(UPLOAD_URL, {"files": [SimpleUploadedFile("a_TOP.png", png_bytes())]})
    assert response.status_code == 403
    assert not Image.objects.exists()


@pytest.mark.parametrize("group", ["../../../../somewhere", "/abs/dir", "C:/lots", "lot//7", "CON", "lot\x007"])
def test_upload_with_an_unsafe_wire_group_is_refused_with_a_sentence(client_in, group):
    response = client_in.post(UPLOAD_URL, {"files": [SimpleUploadedFile("a_TOP.png", png_bytes())], "wire_group": group})
    assert response.status_code == 400
    assert response.json()["error"].startswith("The wire group ")
    assert not Image.objects.exists()


def test_zip_folder_that_makes_an_unsafe_wire_group_is_refused_per_entry(client_in):
    archive = zip_bytes(
        {"CON/001_TOP.png": png_bytes(seed=30), "lot:7/002_TOP.png": png_bytes(seed=31), "lot7/003_TOP.png": png_bytes(seed=32)}
    )
    results = upload(client_in, ("lots.zip", archive))
    assert results["lots.zip/CON/001_TOP.png"]["status"] == "error"
    assert "reserved device name" in results["lots.zip/CON/001_TOP.png"]["message"]
    assert "':'" in results["lots.zip/lot:7/002_TOP.png"]["message"]
    assert list(Image.objects.values_list("wire_group", flat=True)) == ["lot7"]


def test_admin_form_refuses_an_unsafe_wire_group(make_image):
    from django.forms import modelform_factory

    image = make_image("w1_TOP.png")
    form = modelform_factory(Image, fields=["wire_group"])({"wire_group": "../../etc"}, instance=image)
    assert not form.is_valid()
    assert "'..'" in form.errors["wire_group"][0]
    assert modelform_factory(Image, fields=["wire_group"])({"wire_group": "batch/2024"}, instance=image).is_valid()
