"""Imports and exports racing other people's work, or cut off by a killed process: a sentence, and a retry that works."""

from __future__ import annotations

import pytest
from django.test import Client

from annotations.models import Annotation, Image
from interop.jobs import jobs_dir
from tests.conftest import png_bytes
from tests.interop.test_import_apply_failures import _start, _yolo

pytestmark = pytest.mark.django_db


def test_apply_after_the_web_process_was_killed_half_way_imports_instead_of_saying_it_is_still_applying(annotator) -> None:
    """A killed web process (a restart, the OOM killer) left the import's 'applying' marker; every later Apply said
    "already being applied (a second click)" and nothing ever came in, although its transaction had rolled back."""
    client = Client(raise_request_exception=False)
    client.force_login(annotator)
    location = _start(client, _yolo({"a_TOP.png": png_bytes(seed=1), "b_TOP.png": png_bytes(seed=2)}))
    job_id = location.rstrip("/").split("/")[-1]
    (jobs_dir() / job_id / "applying").touch()  # what the killed process left: its transaction never committed
    applied = client.post(location + "apply/", follow=True)
    assert "already being applied" not in applied.content.decode()
    assert Image.objects.count() == 2 and Annotation.objects.count() == 2


def test_a_picture_deleted_while_its_export_is_written_is_said_as_such_not_as_a_damaged_data_folder(
    make_image, settings, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """An admin deleting a picture while a big export was being written made the export say the data folder was damaged
    ("missing from the data folder ... Restore the data folder from its backup"): a restore nobody needed."""
    from core import filejobs
    from interop.exports import root, run_export, start_export

    settings.DATA_DIR = tmp_path / "data"
    pictures = [make_image(f"{n}_TOP.png") for n in range(3)]
    for picture in pictures:
        Annotation.objects.create(image=picture, x=1, y=2, width=10, height=5, view="TOP", defect="PASS")
    real_progress = filejobs.Progress

    class DeletedMeanwhile(real_progress):  # type: ignore[misc, valid-type]
        def __call__(self, done: int, total: int, *rest: object) -> None:
            super().__call__(done, total, *rest)
            if done == 1:  # the admin deletes the last picture while the zip is being written
                names = pictures[-1].stored_names()
                Image.objects.filter(pk=pictures[-1].pk).delete()
                for name in names:  # what the deletion's commit does
                    (settings.MEDIA_ROOT / name).unlink()

    monkeypatch.setattr(filejobs, "Progress", DeletedMeanwhile)
    status = start_export({}, "yolo", include_pictures=True, for_training=True)
    run_export(status.id)
    message = filejobs.read_status(root(), status.id).message
    assert "backup" not in message and "data folder" not in message, message
    assert "was deleted while the export was being written" in message and "Start the export again" in message
