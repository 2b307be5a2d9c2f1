"""Two features on the same pictures at once: the library deleting a picture while a job inspects it."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotations.models import Image
from core.imaging.decode import UnreadableImage
from core.inspection.reports import InspectionReport
from core.inspection.verdicts import BoxPrediction, PictureResult
from registry.versions import register_version
from review import inspection, prediction
from review.inspection import read_status, report_of, run_inspection, run_preannotation, start_inspection, start_preannotation


class ReadingPipeline:
    """Stands for the loaded models: reads each picture as the real pipeline does (``PictureInput.read``), one box each.

    ``while_running`` is called once the first picture is done: the test deletes another picture of the job there.
    """

    def __init__(self, while_running: object) -> None:
        self.while_running = while_running
        self.seen = 0

    def inspect(self, picture):  # type: ignore[no-untyped-def]
        self.seen += 1
        if self.seen == 2:
            self.while_running()  # type: ignore[operator]
        try:
            picture.read()
        except UnreadableImage as error:  # what InferencePipeline.inspect does with a picture it cannot read
            return PictureResult(picture.name, picture.wire_id, picture.view, error=str(error), ref=picture.ref)
        box = BoxPrediction(1, 1, 20, 20, 0.9, "TOP", 0.9, "PASS", 0.9, (0.9, 0.05, 0.03, 0.02))
        return PictureResult(picture.name, picture.wire_id, "TOP", (box,), ref=picture.ref)

    def run(self, items, progress=None, versions=None):  # type: ignore[no-untyped-def]
        items = list(items)
        results = [self.inspect(item) for item in items]
        return InspectionReport(results, versions=dict(versions or {}), thresholds=self.thresholds())

    def thresholds(self) -> dict[str, float]:
        return {"detection": 0.25}


@pytest.fixture
def chosen(db, tmp_path: Path) -> dict[str, int]:  # type: ignore[no-untyped-def]
    weights = tmp_path / "best.pt"
    weights.write_bytes(b"weights")
    metrics = {"pass_recall": 1.0, "accuracy": 0.5, "mAP50": 0.1}
    return {kind: register_version(kind, weights, metrics=metrics).pk for kind in ("detection", "view", "defect")}


@pytest.mark.django_db(transaction=True)
def test_a_picture_deleted_in_the_library_while_its_inspection_runs_is_said_as_deleted_not_as_a_server_file(
    make_image, chosen, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """An engineer inspected a lot; while the job went through it, an annotator deleted one of its pictures in the
    library. The report's row for it said "The file /srv/.../media/images/3f/3f9c....png cannot be read (No such file or
    directory); check that it exists": a server path nobody can check, and nothing saying the picture was deleted."""
    pictures = [make_image(f"{n}_TOP.png", wire_group="lot7") for n in range(3)]
    doomed = pictures[2]
    pipeline = ReadingPipeline(lambda: Image.objects.filter(pk=doomed.pk).delete())
    monkeypatch.setattr(inspection, "build_pipeline", lambda *args, **kwargs: pipeline)
    status = start_inspection(image_ids=[p.pk for p in pictures], chosen=chosen, conf_threshold=0.25)
    run_inspection(status.id)
    status = read_status("inspection", status.id)
    assert status.state == "done", status.message
    row = next(row for row in report_of(status.id).rows() if row["image_name"] == doomed.original_name)
    assert "media" not in row["error"] and "check that it exists" not in row["error"], row["error"]
    assert "deleted from the library" in row["error"], row["error"]
    assert "1 of the chosen pictures was deleted while the job ran" in status.message, status.message


@pytest.mark.django_db(transaction=True)
def test_a_picture_deleted_while_a_preannotation_reads_it_is_counted_as_deleted_not_as_failed(make_image, chosen, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A picture deleted after the pre-annotation checked it still existed, but before the models read its file, was
    reported as a failed picture naming the server's file ("1_TOP.png: The file /srv/.../media/images/... cannot be
    read"), not among the pictures deleted meanwhile."""
    pictures = [make_image(f"{n}_TOP.png") for n in range(3)]
    doomed = pictures[1]
    real_inspect = ReadingPipeline.inspect

    def deleted_just_before_it_is_read(self, picture):  # type: ignore[no-untyped-def]
        if picture.ref == doomed.pk:
            Image.objects.filter(pk=doomed.pk).delete()
        return real_inspect(self, picture)

    monkeypatch.setattr(ReadingPipeline, "inspect", deleted_just_before_it_is_read)
    monkeypatch.setattr(prediction, "build_pipeline", lambda *args, **kwargs: ReadingPipeline(lambda: None))
    status = start_preannotation(image_ids=[p.pk for p in pictures], chosen=chosen, conf_threshold=0.25)
    run_preannotation(status.id)
    status = read_status("preannotation", status.id)
    assert status.state == "done", status.message
    assert "failed" not in status.message and "media" not in status.message, status.message
    assert "Pre-annotated 2 pictures" in status.message and "1 were deleted meanwhile." in status.message, status.message
