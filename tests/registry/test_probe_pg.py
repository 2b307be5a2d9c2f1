"""The compare page (found walking it in Chromium): what it says of a version whose dataset snapshot is gone."""

from __future__ import annotations

import html

from django.urls import reverse

from tests.registry.test_pages import engineer_client, make  # noqa: F401
from training.models import TrainingRun


def _dataset_rows(page: str) -> dict[str, str]:
    """The compare page's Dataset table: each version's row as text, by the version's name."""
    table = page.split("<h2>Dataset</h2>", 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in table.split("<tr>")[2:]:
        cells = [part.split(">", 1)[1].strip() for part in html.unescape(row).split("<") if ">" in part]
        text = " ".join(cell for cell in cells if cell)
        rows[text.split(" ", 1)[0]] = text
    return rows


def test_compare_does_not_count_a_deleted_runs_version_as_having_learned_from_nothing(engineer_client, tmp_path) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    """Its run deleted in the Django admin (its snapshot with it), the version's row read "0 train revisions, 0 val" and
    "removed vs. baseline: train 3, val 1", as if it had learned from nothing; its page says the snapshot went with the run."""
    snapshot = {"train": [[1, 1], [2, 1], [3, 1]], "val": [[4, 1]], "seed": 1}
    first, second = make(tmp_path, snapshot=snapshot), make(tmp_path, snapshot=snapshot)
    run_number = second.training_run_id
    TrainingRun.objects.get(pk=run_number).delete_with_folder()
    page = engineer_client.get(reverse("registry:compare"), {"v": [first.pk, second.pk]}).content.decode()
    row = _dataset_rows(page)[second.name]
    assert "train 3" not in row and " 0 " not in f" {row} ", row
    assert f"Its training run #{run_number} was deleted, so its dataset snapshot went with it" in row, row


def test_compare_against_a_baseline_without_a_snapshot_counts_no_differences(engineer_client, tmp_path) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    """With the first (the baseline) without a snapshot, every other version "added" all it learned from."""
    snapshot = {"train": [[1, 1], [2, 1], [3, 1]], "val": [[4, 1]], "seed": 1}
    first, second = make(tmp_path, snapshot=snapshot), make(tmp_path, snapshot=snapshot)
    TrainingRun.objects.get(pk=first.training_run_id).delete_with_folder()
    page = engineer_client.get(reverse("registry:compare"), {"v": [first.pk, second.pk]}).content.decode()
    row = _dataset_rows(page)[second.name]
    assert "train 3, val 1" not in row, row  # not "added vs. baseline"
    assert row.split()[1:4] == ["40", "3", "1"], row  # its own pictures and revisions are still shown
