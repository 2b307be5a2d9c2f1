"""Inspection reports as CSV, JSON and Excel.

The CSV keeps the desktop tool's columns first, in its order, because users'
spreadsheets read them by position; the wire verdict follows in extra columns.
One row per detected box; a picture without a box (unreadable, nothing found)
still gets one row with ``success`` false and the reason in ``error``.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.imaging.pictures import LONE_LOOP_FLOOR
from core.inspection.verdicts import DEFAULT_RULE, PictureResult, Rule, WireVerdict, wire_verdicts
from core.labels import DEFECT_CHINESE, DEFECTS

#: A spreadsheet reads a cell starting with one of these as a formula (CSV injection): names users chose
#: (pictures, folders, labels) get a leading ' in a CSV, which spreadsheets show as text and our reader removes.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _formula_like(text: str) -> bool:
    """Starts like a formula, after any leading ' (so that a name that already starts with ' reads back as it was)."""
    return text.lstrip("'").startswith(FORMULA_STARTS)


def csv_cell(value: Any) -> Any:
    """``value`` for a CSV cell: text that a spreadsheet would run as a formula gets a leading ' (numbers stay)."""
    if not isinstance(value, str) or not _formula_like(value):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def csv_text_of(cell: str) -> str:
    """The text a ``csv_cell`` was made from: the leading ' taken off again."""
    return cell[1:] if cell.startswith("'") and _formula_like(cell[1:]) else cell


def _writable(value: str) -> str:
    """Text as a file can hold it: a name read from a disk in another encoding (lone surrogates) gets U+FFFD."""
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")


def _append_as_text(sheet: Any, values: list[Any]) -> None:
    """Append a row; text openpyxl would store as a formula (it starts with =) is stored as the text it is, and
    control characters a workbook cannot hold (a name with an escape or a bell in it) are shown as U+FFFD."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

    # The cells are made here and handed to append: reading the row back (``sheet[sheet.max_row]``) scanned every cell
    # of the sheet for each row, so a workbook took time growing with the square of its rows.
    cleaned = [ILLEGAL_CHARACTERS_RE.sub("\ufffd", _writable(value)) if isinstance(value, str) else value for value in values]
    cells = [Cell(sheet, value=value) for value in cleaned]
    for cell in cells:
        if cell.data_type == "f":
            cell.data_type = "s"
    sheet.append(cells)


DESKTOP_COLUMNS: tuple[str, ...] = (
    "image_name",
    "bbox_x1",
    "bbox_y1",
    "bbox_x2",
    "bbox_y2",
    "view",
    "view_confidence",
    "defect",
    "defect_confidence",
    "success",
    "error",
)
#: After the desktop tool's columns: how sure the detector was of each box.
DETECTION_COLUMNS: tuple[str, ...] = ("detection_confidence",)
#: ``wire_confidence`` last, after the columns spreadsheets already read by position: how sure the wire verdict is
#: (real wires: verdicts at 0.6 or above were right four times in five, those below one in two; docs/training.md).
WIRE_COLUMNS: tuple[str, ...] = ("wire_id", "wire_verdict", "deciding_view", "wire_note", "wire_confidence")
CSV_COLUMNS: tuple[str, ...] = DESKTOP_COLUMNS + DETECTION_COLUMNS + WIRE_COLUMNS
WIRE_SHEET_COLUMNS: tuple[str, ...] = (
    "wire_id",
    "wire_verdict",
    "deciding_view",
    "confidence",
    "complete",
    "top_defect",
    "top_confidence",
    "side_defect",
    "side_confidence",
    "note",
)


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


@dataclass
class InspectionReport:
    """The pictures, the wire verdicts and what produced them (versions, thresholds, rule)."""

    pictures: list[PictureResult]
    rule: Rule = DEFAULT_RULE
    #: Model slot (``detection``, ``view``, ``defect``, ``defect/TOP``...) -> version name or file.
    versions: dict[str, str] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    wires: list[WireVerdict] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.wires:
            self.wires = wire_verdicts(self.pictures, self.rule)

    # --- summaries --------------------------------------------------------------------------

    def counts(self) -> dict[str, Any]:
        """Boxes and wire verdicts per class, plus pictures that failed or showed nothing."""
        boxes = Counter(box.defect for picture in self.pictures for box in picture.boxes)
        verdicts = Counter(wire.verdict for wire in self.wires if wire.verdict)
        return {
            "pictures": len(self.pictures),
            "pictures_failed": sum(1 for p in self.pictures if p.error),
            "pictures_without_box": sum(1 for p in self.pictures if not p.error and not p.boxes),
            "boxes": sum(boxes.values()),
            "boxes_per_class": {d: boxes.get(d, 0) for d in DEFECTS},
            "wires": len(self.wires),
            # A verdict from one view only; a wire without any verdict is counted apart, not here.
            "wires_incomplete": sum(1 for w in self.wires if not w.complete and w.verdict is not None),
            "wires_without_verdict": sum(1 for w in self.wires if w.verdict is None),
            "wires_per_class": {d: verdicts.get(d, 0) for d in DEFECTS},
        }

    def no_loop_sentence(self) -> str:
        """Why a picture got no box: its best loop is kept down to the floor, so a lower threshold would not help."""
        floor = min(LONE_LOOP_FLOOR, self.thresholds.get("detection", LONE_LOOP_FLOOR))
        return (
            f"No wire loop was found, not even one at confidence {floor:g}; check that the picture shows a wire, "
            "or annotate pictures like it and train the detector again."
        )

    def wire_of(self) -> dict[str, WireVerdict]:
        return {wire.wire_id: wire for wire in self.wires}

    def rows(self) -> list[dict[str, Any]]:
        """The CSV rows as dictionaries keyed by ``CSV_COLUMNS``."""
        wires = self.wire_of()
        rows: list[dict[str, Any]] = []
        for picture in self.pictures:
            wire = wires.get(picture.wire_id)
            wire_part = {
                "wire_id": picture.wire_id,
                "wire_verdict": (wire.verdict or "") if wire else "",
                "deciding_view": (wire.deciding_view or "") if wire else "",
                "wire_note": wire.note if wire else "",
                "wire_confidence": round(wire.confidence, 4) if wire and wire.confidence is not None else "",
            }
            if not picture.boxes:
                error = picture.error or self.no_loop_sentence()
                empty = dict.fromkeys(DESKTOP_COLUMNS + DETECTION_COLUMNS, "")
                rows.append({**empty, "image_name": picture.image_name, "success": False, "error": error, **wire_part})
                continue
            for box in picture.boxes:
                rows.append(
                    {
                        "image_name": picture.image_name,
                        "bbox_x1": round(box.x1, 1),
                        "bbox_y1": round(box.y1, 1),
                        "bbox_x2": round(box.x2, 1),
                        "bbox_y2": round(box.y2, 1),
                        "view": box.view,
                        "view_confidence": _round(box.view_confidence),
                        "defect": box.defect,
                        "defect_confidence": _round(box.defect_confidence),
                        "success": True,
                        "error": "",
                        "detection_confidence": _round(box.detection_confidence),
                        **wire_part,
                    }
                )
        return rows

    # --- formats ----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "created_at": self.created_at,
            "rule": self.rule,
            "versions": self.versions,
            "thresholds": self.thresholds,
            "counts": self.counts(),
            "pictures": [picture.to_json() for picture in self.pictures],
            "wires": [wire.to_json() for wire in self.wires],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InspectionReport:
        return cls(
            pictures=[PictureResult.from_json(p) for p in data["pictures"]],
            rule=data.get("rule", "worst"),
            versions=dict(data.get("versions", {})),
            thresholds=dict(data.get("thresholds", {})),
            created_at=data.get("created_at", ""),
            wires=[WireVerdict.from_json(w) for w in data.get("wires", [])],
        )

    def csv_text(self) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in self.rows():
            writer.writerow({key: "" if value is None else csv_cell(value) for key, value in row.items()})
        return buffer.getvalue()

    def xlsx_bytes(self) -> bytes:
        """A workbook with the box rows, the wire verdicts and a summary sheet."""
        from openpyxl import Workbook

        workbook = Workbook()
        boxes = workbook.active
        boxes.title = "Boxes"
        _append_as_text(boxes, list(CSV_COLUMNS))
        for row in self.rows():
            _append_as_text(boxes, [row[column] if row[column] != "" else None for column in CSV_COLUMNS])
        wires = workbook.create_sheet("Wires")
        _append_as_text(wires, list(WIRE_SHEET_COLUMNS))
        for wire in self.wires:
            top, side = wire.findings.get("TOP"), wire.findings.get("SIDE")
            _append_as_text(
                wires,
                [
                    wire.wire_id,
                    wire.verdict,
                    wire.deciding_view,
                    _round(wire.confidence),
                    wire.complete,
                    top.defect if top else None,
                    _round(top.confidence) if top else None,
                    side.defect if side else None,
                    _round(side.confidence) if side else None,
                    wire.note or None,
                ],
            )
        summary = workbook.create_sheet("Summary")
        counts = self.counts()
        _append_as_text(summary, ["created_at", self.created_at])
        _append_as_text(summary, ["rule", self.rule])
        for slot, version in sorted(self.versions.items()):
            _append_as_text(summary, [f"model {slot}", version])
        for name, value in sorted(self.thresholds.items()):
            _append_as_text(summary, [f"threshold {name}", value])
        for key in ("pictures", "pictures_failed", "pictures_without_box", "boxes", "wires", "wires_incomplete", "wires_without_verdict"):
            _append_as_text(summary, [key, counts[key]])
        for defect in DEFECTS:
            label = f"{defect} {DEFECT_CHINESE[defect]}" if DEFECT_CHINESE[defect] != defect else defect
            _append_as_text(summary, [f"wires {label}", counts["wires_per_class"][defect]])
            _append_as_text(summary, [f"boxes {label}", counts["boxes_per_class"][defect]])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    def write(self, folder: Path) -> dict[str, Path]:
        """Write ``report.json``, ``report.csv`` and ``report.xlsx`` into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = {"json": folder / "report.json", "csv": folder / "report.csv", "xlsx": folder / "report.xlsx"}
        try:
            # errors="replace": a name read from a disk with another encoding must not cost the whole report.
            paths["json"].write_text(json.dumps(self.to_json(), indent=1, ensure_ascii=False), encoding="utf-8", errors="replace")
            # utf-8-sig: Excel opens a CSV with a BOM as UTF-8 (wire ids may hold Chinese folder names).
            paths["csv"].write_text(self.csv_text(), encoding="utf-8-sig", errors="replace")
            paths["xlsx"].write_bytes(self.xlsx_bytes())
        except BaseException:  # a full disk: no half report is left, and its room goes back to the job's status file
            for path in paths.values():
                path.unlink(missing_ok=True)
            raise
        return paths


def write_csv(report: InspectionReport, path: Path) -> None:
    path.write_text(report.csv_text(), encoding="utf-8-sig", errors="replace")


def load_report(path: Path) -> InspectionReport:
    return InspectionReport.from_json(json.loads(path.read_text(encoding="utf-8")))
