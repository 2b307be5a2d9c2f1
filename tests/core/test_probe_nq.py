"""Report writing whose cost grew faster than the inspection: each Excel row scanned every cell written before it."""

from __future__ import annotations

import pytest

from core.inspection.reports import InspectionReport
from core.inspection.verdicts import BoxPrediction, PictureResult


def _report(wires: int) -> InspectionReport:
    box = BoxPrediction(1, 1, 20, 20, 0.9, "TOP", 0.9, "PASS", 0.7, (0.7, 0.1, 0.1, 0.1))
    pictures = [PictureResult(f"=HYPERLINK({i}){view}", f"w{i}", view, (box,)) for i in range(wires) for view in ("TOP", "SIDE")]
    return InspectionReport(pictures)


def test_the_workbook_does_not_rescan_the_sheet_for_each_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each row written asked openpyxl for the sheet's last row and column, which it finds by scanning every cell: writing
    the workbook took time growing with the square of the pictures (4,000 pictures: 39 s; a 20,000-picture library: minutes),
    after the pictures themselves were inspected."""
    from openpyxl.worksheet.worksheet import Worksheet

    scans = {"count": 0}
    for name in ("max_row", "max_column"):
        original = getattr(Worksheet, name)

        def counted(sheet: Worksheet, original: property = original) -> int:
            scans["count"] += 1
            return original.fget(sheet)  # type: ignore[no-any-return]

        monkeypatch.setattr(Worksheet, name, property(counted))

    _report(20).xlsx_bytes()
    few = scans["count"]
    scans["count"] = 0
    _report(60).xlsx_bytes()
    assert scans["count"] == few


def test_formula_like_text_is_still_stored_as_text() -> None:
    """The rows are written without the scan; a name or label starting with = is still text in the workbook, not a formula."""
    import io

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(_report(2).xlsx_bytes()))
    cells = [cell for row in workbook["Boxes"].iter_rows() for cell in row if cell.value == "=HYPERLINK(1)TOP"]
    assert cells and all(cell.data_type == "s" for cell in cells)
