"""Probe pt: an inspector reading the batch inspection of the real library (its class folders restart the numbering)."""

from __future__ import annotations

from core.inspection.verdicts import PictureResult
from tests.review.test_probe_inspection import _box, _finished_inspection


def test_the_pictures_table_tells_apart_pictures_of_the_same_name_in_different_lots(client, annotator) -> None:  # type: ignore[no-untyped-def]
    """The real library holds 001_TOP.jpg in PASS, 沖線, 晃動 and 碰觸 (the desktop tool numbers each class folder from 1):
    an inspection of all lots listed four rows "001_TOP.jpg" in its pictures table, one TOUCH and one PASS, with nothing
    saying which lot's picture each was."""
    pass_picture = PictureResult("001_TOP.jpg", "PASS/001", "TOP", (_box("PASS"),))
    job = _finished_inspection([pass_picture, PictureResult("001_TOP.jpg", "碰觸/001", "TOP", (_box("TOUCH"),))])
    client.force_login(annotator)
    page = client.get(f"/jobs/inspection/{job}/").content.decode()
    pictures = page.split('id="pictures"')[1]
    assert "PASS/001" in pictures and "碰觸/001" in pictures


def test_an_inspected_zip_made_by_windows_names_its_wires_by_their_chinese_folders(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The desktop tool's photo/ folder zipped with Windows Explorer and inspected on the Inspect page: the report's wires
    were "photo/«╠░╩/003" and "photo/╕I─▓/001" instead of photo/晃動/003 and photo/碰觸/001."""
    from review.inspection import _zip_inputs
    from tests.annotations.test_probe_pt import windows_zip
    from tests.conftest import png_bytes

    entries = {
        f"photo/{view}/{lot}/{wire}_{view.upper()}.png": png_bytes(seed=n)
        for n, (view, lot, wire) in enumerate([("Top", "晃動", "003"), ("Side", "晃動", "003"), ("Top", "碰觸", "001")])
    }
    (tmp_path / "upload.zip").write_bytes(windows_zip(entries))
    inputs = _zip_inputs(tmp_path)
    assert [(item.name, item.wire_id, item.view) for item in inputs] == [
        ("photo/Top/晃動/003_TOP.png", "photo/晃動/003", "TOP"),
        ("photo/Side/晃動/003_SIDE.png", "photo/晃動/003", "SIDE"),
        ("photo/Top/碰觸/001_TOP.png", "photo/碰觸/001", "TOP"),
    ]
