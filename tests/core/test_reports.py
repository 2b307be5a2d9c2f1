"""Report files parse with ordinary readers and keep the desktop tool's columns."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core.inspection.reports import CSV_COLUMNS, DESKTOP_COLUMNS, InspectionReport, load_report
from core.inspection.verdicts import BoxPrediction, PictureResult


def sample_report() -> InspectionReport:
    pictures = [
        PictureResult("w1_TOP.png", "w1", "TOP", (BoxPrediction(10, 20, 210, 90, 0.91, "TOP", 0.99, "SWEEP", 0.7, (0.1, 0.7, 0.1, 0.1)),)),
        PictureResult("w1_SIDE.png", "w1", "SIDE", (BoxPrediction(5, 6, 205, 76, 0.88, "SIDE", 0.97, "TOUCH", 0.55),)),
        PictureResult("w2_TOP.png", "w2", "TOP", error="The picture is damaged or truncated; export it again."),
        PictureResult("碰觸/w3_SIDE.png", "碰觸/w3", "SIDE"),
    ]
    versions = {"detection": "detection_1", "view": "view_1", "defect": "defect_1"}
    return InspectionReport(pictures, versions=versions, thresholds={"detection": 0.25})


def test_csv_starts_with_the_desktop_columns_and_has_a_row_per_box_or_failure(tmp_path: Path) -> None:
    paths = sample_report().write(tmp_path)
    with paths["csv"].open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ())[: len(DESKTOP_COLUMNS)] == DESKTOP_COLUMNS
        assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
        rows = list(reader)
    assert [r["image_name"] for r in rows] == ["w1_TOP.png", "w1_SIDE.png", "w2_TOP.png", "碰觸/w3_SIDE.png"]
    first = rows[0]
    assert (first["bbox_x1"], first["bbox_x2"], first["defect"], first["success"]) == ("10", "210", "SWEEP", "True")
    # The detector's confidence comes right after the desktop tool's columns.
    assert tuple(reader.fieldnames or ())[len(DESKTOP_COLUMNS)] == "detection_confidence"
    assert float(first["detection_confidence"]) == pytest.approx(sample_report().pictures[0].boxes[0].detection_confidence, abs=1e-4)
    assert (first["wire_verdict"], first["deciding_view"]) == ("TOUCH", "SIDE")
    # How sure the wire verdict is comes last, so that spreadsheets reading the earlier columns by position keep working.
    assert tuple(reader.fieldnames or ())[-1] == "wire_confidence"
    wire = sample_report().wire_of()["w1"]
    assert wire.confidence is not None and float(first["wire_confidence"]) == pytest.approx(wire.confidence, abs=1e-4)
    assert rows[2]["wire_confidence"] == ""  # w2's only picture failed: no verdict
    assert rows[2]["success"] == "False" and "damaged" in rows[2]["error"] and rows[2]["bbox_x1"] == ""
    assert rows[3]["success"] == "False" and "No wire loop was found" in rows[3]["error"]


def test_json_round_trips_with_counts_and_versions(tmp_path: Path) -> None:
    report = sample_report()
    paths = report.write(tmp_path)
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["versions"]["defect"] == "defect_1"
    assert data["counts"]["wires_per_class"] == {"PASS": 0, "SWEEP": 0, "WOBBLE": 0, "TOUCH": 1}
    assert data["counts"]["pictures_failed"] == 1 and data["counts"]["pictures_without_box"] == 1
    again = load_report(paths["json"])
    assert again.to_json() == report.to_json()


def test_xlsx_has_boxes_wires_and_summary_sheets(tmp_path: Path) -> None:
    paths = sample_report().write(tmp_path)
    workbook = load_workbook(paths["xlsx"], read_only=True)
    assert workbook.sheetnames == ["Boxes", "Wires", "Summary"]
    boxes = list(workbook["Boxes"].iter_rows(values_only=True))
    assert boxes[0] == CSV_COLUMNS and len(boxes) == 5
    assert boxes[1][7] == "SWEEP" and boxes[1][8] == 0.7
    wires = {row[0]: row for row in list(workbook["Wires"].iter_rows(values_only=True))[1:]}
    assert wires["w1"][1:3] == ("TOUCH", "SIDE") and wires["w1"][4] is True
    assert wires["w2"][1] is None and "damaged" in wires["w2"][9]
    summary = dict(workbook["Summary"].iter_rows(values_only=True))
    assert summary["model defect"] == "defect_1" and summary["wires TOUCH 碰觸"] == 1
