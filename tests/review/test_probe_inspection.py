"""Probing the use of the active models: batch inspection, its reports and comparison, pre-annotation and review."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from core import filejobs
from core.inspection.reports import InspectionReport
from core.inspection.verdicts import BoxPrediction, PictureResult
from review.inspection import INSPECTION, job_dir, root
from tests.review.test_prediction import active_set, models  # noqa: F401  (the tiny models, registered and active)
from tests.tiny_models import TinyModels


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _box(defect: str) -> BoxPrediction:
    probabilities = {"PASS": (0.7, 0.1, 0.1, 0.1), "TOUCH": (0.1, 0.1, 0.1, 0.7)}[defect]
    return BoxPrediction(1, 1, 20, 20, 0.9, "TOP", 0.9, defect, 0.7, probabilities)


def _finished_inspection(pictures: list[PictureResult]) -> str:
    """An inspection job folder holding the report of ``pictures`` (as a worker leaves it)."""
    status = filejobs.new_job(root(INSPECTION), INSPECTION, {"versions": {}, "image_ids": [1]})
    InspectionReport(pictures).write(job_dir(INSPECTION, status.id))
    status.state = "done"
    filejobs.write_status(root(INSPECTION), status)
    return status.id


# --- 1. manage.py infer on the desktop tool's Top/ and Side/ folders made two one-view wires of each wire ----------


@pytest.mark.slow
def test_infer_pairs_the_two_views_kept_in_the_desktop_tools_top_and_side_folders(active_set, models: TinyModels, tmp_path: Path) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    """The desktop tool keeps ``Top/<class>/001_TOP.jpg`` and ``Side/<class>/001_SIDE.jpg``; a zip of that folder on the Inspect
    page joins them into one wire, but ``manage.py infer`` on the same folder reported ``Top/lot/001`` and ``Side/lot/001``,
    each "verdict rests on one view. Add the SIDE picture"."""
    wire = models.samples[0].wire_id
    pair = [s for s in models.samples if s.wire_id == wire]
    assert {s.view for s in pair} == {"TOP", "SIDE"}
    folder = tmp_path / "photo"
    for sample in pair:
        target = folder / sample.view.capitalize() / "lot7" / sample.filename
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sample.path, target)
    output = tmp_path / "results.csv"
    call_command("infer", str(folder), "--output", str(output), "--conf", "0.001", stdout=io.StringIO())
    rows = _rows(output)
    assert {row["wire_id"] for row in rows} == {f"lot7/{wire}"}, rows
    assert all("rests on one view" not in row["wire_note"] for row in rows), rows


# --- 2. comparing two inspections left out the wires only the second one inspected ---------------------------------


def test_the_comparison_lists_the_wires_only_the_second_inspection_holds(client, annotator) -> None:  # type: ignore[no-untyped-def]
    """A (lot 1) against B (lot 1 and a re-shot wire): the page said "0 of 1 wires get a different verdict" and never
    showed B's TOUCH wire, so a user comparing two runs missed a whole wire."""
    shared = PictureResult("w1_TOP.png", "w1", "TOP", (_box("PASS"),))
    a = _finished_inspection([shared])
    b = _finished_inspection([shared, PictureResult("w2_TOP.png", "w2", "TOP", (_box("TOUCH"),))])
    client.force_login(annotator)
    response = client.get("/inspect/compare", {"a": a, "b": b})
    assert response.status_code == 200
    assert [row["wire_id"] for row in response.context["rows"]] == ["w2", "w1"]  # the differing wire first
    assert response.context["differing"] == 1
    page = response.content.decode()
    assert "1 of 2 wires get a different verdict" in page and "<td>w2</td>" in page and "TOUCH" in page


# --- 3. pre-annotation labelled a box of a picture named _TOP as SIDE (the view model's guess over the known view) ----


@pytest.mark.slow
def test_preannotated_boxes_take_the_view_the_pictures_name_gives(active_set, models: TinyModels) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    """``w1_TOP.png`` got a pending SIDE box whenever the view model guessed SIDE, although the defect was judged as a TOP
    loop (the picture's view picks the defect model); accepted with A, a SIDE label on a TOP picture went into training.
    The box now has the picture's view, and the view model's doubt shows as a low view confidence (front of the queue)."""
    from annotations.ingest import ingest_image
    from annotations.models import Annotation
    from review.prediction import LOW_CONFIDENCE, choose_versions, preannotate, review_queue

    images = [ingest_image(s.path.read_bytes(), s.filename, wire_group="lot1").image for s in models.samples]
    preannotate(images, choose_versions(), 0.001)
    boxes = list(Annotation.objects.select_related("image"))
    assert boxes and all(box.image.view in ("TOP", "SIDE") for box in boxes)
    assert [box.view for box in boxes] == [box.image.view for box in boxes]
    for box in boxes:
        assert 0.0 <= box.confidences["view"] <= 1.0
    doubted = {item.annotation.pk for item in review_queue() if item.annotation.confidences["view"] < LOW_CONFIDENCE}
    assert doubted <= {item.annotation.pk for item in review_queue() if item.reason in ("views disagree", "low confidence")}


# --- 4. manage.py infer --output results.json --format all wrote the CSV, then the JSON over it -------------------


@pytest.mark.parametrize("name", ["results.json", "results.XLSX"])
def test_infer_refuses_an_output_name_the_other_reports_would_overwrite(db, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    """``--format all`` writes the JSON and the workbook beside the CSV with the CSV's name and their own suffix: an output
    named ``results.json`` got the CSV, then the JSON over it, and the command said "Wrote results.json" (the CSV lost)."""
    from django.core.management.base import CommandError

    (tmp_path / "pictures").mkdir()
    with pytest.raises(CommandError, match=r"would be overwritten.*results\.csv"):
        call_command("infer", str(tmp_path / "pictures"), "--output", str(tmp_path / name), "--format", "all")


# --- 5. manage.py infer --output <a folder> inspected everything, then ended in IsADirectoryError -----------------------


def test_infer_refuses_an_output_that_is_a_folder_before_inspecting(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``--output reports/`` (the folder meant for the report) ran the whole inspection, then printed the traceback of
    ``IsADirectoryError`` and wrote nothing."""
    from django.core.management.base import CommandError

    (tmp_path / "pictures").mkdir()
    (tmp_path / "reports").mkdir()
    with pytest.raises(CommandError, match=r"is a folder.*reports/results\.csv"):
        call_command("infer", str(tmp_path / "pictures"), "--output", str(tmp_path / "reports"))


# --- 6. an unknown verdict rule was answered with two of the three rules, leaving out the default ---------------------


def test_an_unknown_rule_is_answered_with_every_rule_the_page_offers(client, engineer) -> None:  # type: ignore[no-untyped-def]
    """A rule the form does not offer (an old bookmark's ``rule=max``, a script) was told "Choose how the two views combine:
    worst case or highest confidence", as if the default (both views' evidence combined) did not exist."""
    from core.inspection.verdicts import RULE_LABELS

    client.force_login(engineer)
    response = client.post("/inspect/", {"conf": "0.25", "rule": "max"})
    assert response.status_code == 400
    [message] = [str(m) for m in response.context["messages"]]
    assert all(label in message for label in RULE_LABELS.values()), message
