"""The version page of a run trained for real shows its per-class table and confusion matrix.

The registry once read ``per_class`` / ``confusion_matrix`` that the runner never wrote, and
its fixtures used that imagined shape: this test goes through the real trainer and worker task.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.live_fixtures import queue_view_run, tiny_library, tiny_snapshot  # noqa: F401
from training.models import RunStatus
from training.tasks import run_training

pytestmark = [pytest.mark.slow]


@pytest.fixture(autouse=True)
def _runs_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.RUNS_DIR = tmp_path / "runs"
    settings.DATASETS_DIR = tmp_path / "datasets"


def test_a_trained_view_version_shows_per_class_scores_and_its_confusion_matrix(client, engineer, queue_view_run):  # noqa: F811  # type: ignore[no-untyped-def]
    run = queue_view_run()
    assert run_training(run.pk) == RunStatus.SUCCEEDED
    run.refresh_from_db()
    version = run.model_version
    scores = version.scores
    assert scores.labels == ("TOP", "SIDE")
    assert list(scores.per_class) == ["TOP", "SIDE"]
    val_pictures = len(run.dataset_snapshot["records"]["val"])
    assert sum(s.support for s in scores.per_class.values()) == val_pictures
    assert sum(map(sum, scores.confusion_matrix)) == val_pictures

    client.login(username=engineer.username, password=PASSWORD)
    page = client.get(reverse("registry:detail", args=[version.pk])).content.decode()
    table = page[page.index('<table id="per-class">') :]
    table = table[: table.index("</table>")]
    for name in ("TOP", "SIDE"):
        row = re.search(rf"<tr><th>{name}</th>(.*?)</tr>", table)
        assert row, table
        assert re.findall(r'<td class="num">([\d.]+)</td>', row.group(1))[-1] == str(scores.per_class[name].support)
    assert "<h2>Confusion matrix</h2>" in page
    matrix = page[page.index("<h2>Confusion matrix</h2>") :]
    counts = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', matrix[: matrix.index("</table>")])]
    assert counts == [count for row in scores.confusion_matrix for count in row]
