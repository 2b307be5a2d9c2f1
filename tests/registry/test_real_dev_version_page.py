"""A defect model trained on the real pictures shows every class, PASS included, with its support.

Issue 15 asks that the evaluation report and the version page of a real run show per-class recall and
the confusion matrix, checked on a ``real-dev`` run: this test imports the desktop tool's folder the
way a user does, trains the defect model for one epoch with ``manage.py train``, and reads the version
page, the evaluation report and the quality gate back. The scores of one epoch mean nothing and are
not checked; their shape, their supports and what the page says about PASS are.
"""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from annotations.models import Annotation
from registry.models import ModelVersion
from tests.conftest import PASSWORD
from training.snapshot import snapshot_from_run_json

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]  # the run closes its connections

ROOT = Path(__file__).resolve().parents[2]
REAL_DEV = ROOT.parent / "shared" / "samples" / "real-dev"
DEFECTS = ["PASS", "SWEEP", "WOBBLE", "TOUCH"]


@pytest.fixture(autouse=True)
def _runs_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.RUNS_DIR = tmp_path / "runs"
    settings.DATASETS_DIR = tmp_path / "datasets"
    settings.MIN_SAMPLES_PER_CLASS = 1  # what the refusal tells a user with one PASS wire per side to set


def _table_rows(html: str, start: str) -> dict[str, list[str]]:
    table = html[html.index(start) :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr><th>([^<]+)</th>(.*?)</tr>", table)
    cells_of = {name: re.findall(r'<td class="num">([^<]*)</td>', cells) for name, cells in rows}
    return {name: cells for name, cells in cells_of.items() if cells}  # the header row has none


def test_a_defect_version_trained_on_real_dev_shows_each_class_its_support_and_the_confusion_matrix(client, engineer) -> None:  # type: ignore[no-untyped-def]
    assert REAL_DEV.is_dir(), f"the real pictures are missing at {REAL_DEV}; tests read ../shared/samples/real-dev"
    call_command("import_annotations", str(REAL_DEV / "annotations.db"), "--format", "legacy", stdout=StringIO())
    assert Annotation.objects.count() == 114
    call_command("train", "defect", "--preset", "cpu-quick", "--epochs", "1", "--set", "pass_oversample=1", stdout=StringIO())

    version = ModelVersion.objects.get(model_type="defect")
    validation = [box for record in snapshot_from_run_json(version.training_run.dataset_snapshot).split("val") for box in record.boxes]
    val_boxes = len(validation)
    val_pass = sum(box.defect == "PASS" for box in validation)
    scores = version.scores
    assert list(scores.per_class) == DEFECTS  # every class, also one missing from validation
    assert sum(s.support for s in scores.per_class.values()) == val_boxes > 0
    assert scores.per_class["PASS"].support == val_pass
    assert len(scores.confusion_matrix) == 4 and sum(map(sum, scores.confusion_matrix)) == val_boxes

    client.login(username=engineer.username, password=PASSWORD)
    page = client.get(reverse("registry:detail", args=[version.pk])).content.decode()
    per_class = _table_rows(page, '<table id="per-class">')
    assert list(per_class) == DEFECTS
    for name in DEFECTS:  # precision, recall, F1, support
        assert per_class[name][1] == f"{scores.per_class[name].recall:.3f}"
        assert per_class[name][-1] == str(scores.per_class[name].support)
    matrix = _table_rows(page, "<h2>Confusion matrix</h2>")
    assert [[int(n) for n in matrix[name]] for name in DEFECTS] == [list(row) for row in scores.confusion_matrix]
    # The gate says how few PASS pictures its recall rests on (real-dev has 2 PASS wires).
    if val_pass == 0:
        assert "has no PASS recall in its metrics" in page
    elif scores.per_class["PASS"].recall < 0.7:
        assert f"rests on {val_pass} PASS validation picture" in page

    # The run's evaluation report holds the same table and matrix.
    report_dir = version.training_run.folder / "report"
    report = json.loads((report_dir / "report.json").read_text())
    html = (report_dir / "report.html").read_text()
    for name in DEFECTS:
        assert name in html
    assert json.dumps(report).count('"support"') >= 4
    assert sum(map(sum, report["metrics"]["confusion_matrix"])) == val_boxes
