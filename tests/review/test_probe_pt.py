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
