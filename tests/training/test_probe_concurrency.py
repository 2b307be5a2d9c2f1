"""A training run racing the library: a picture of its frozen snapshot deleted while the run waited in the queue."""

from __future__ import annotations

import pytest

from annotations.models import Image
from tests.live_fixtures import queue_view_run, tiny_library, tiny_snapshot  # noqa: F401
from training.models import RunStatus
from training.tasks import run_training


@pytest.fixture(autouse=True)
def _folders(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    settings.RUNS_DIR = tmp_path / "runs"
    settings.DATASETS_DIR = tmp_path / "datasets"


def test_a_picture_deleted_in_the_library_while_the_run_waited_is_said_as_such_not_as_a_damaged_data_folder(
    queue_view_run,  # noqa: F811
) -> None:
    """A "train all" defect run waits hours behind the detector; an annotator deletes a bad picture meanwhile. The run then
    failed telling the engineer to restore the data folder from its backup, or to delete the picture (already deleted)."""
    run = queue_view_run()
    image = Image.objects.filter(annotations__isnull=False).order_by("id").first()
    image.delete()  # the library's delete: the row, then (on commit) its files
    with pytest.raises(Exception):  # noqa: B017, PT011 - the worker logs it; the run page is what the engineer sees
        run_training(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "backup" not in run.error and "delete the picture in the library" not in run.error, run.error
    assert run.error.startswith(f"The picture {image.original_name} (wire {image.wire_key}) was deleted from the library after this run"), (
        run.error
    )
    assert "Launch the run again" in run.error
