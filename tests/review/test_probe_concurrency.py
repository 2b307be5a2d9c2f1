"""Review jobs racing the registry: a model version deleted while a pre-annotation uses it."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotations.choices import Source
from annotations.models import Annotation
from core.inspection.verdicts import BoxPrediction, PictureResult
from registry.versions import delete_version, register_version
from review import prediction
from review.inspection import read_status, run_preannotation, start_preannotation


class FakePipeline:
    """Stands for the loaded models: one box per picture; the test deletes a version after the first picture."""

    def __init__(self, on_first: object) -> None:
        self.seen = 0
        self.on_first = on_first

    def inspect(self, picture):  # type: ignore[no-untyped-def]
        self.seen += 1
        if self.seen == 2:
            self.on_first()  # type: ignore[operator]
        box = BoxPrediction(1, 1, 20, 20, 0.9, "TOP", 0.9, "PASS", 0.9, (0.9, 0.05, 0.03, 0.02))
        return PictureResult(picture.name, picture.wire_id, "TOP", (box,), ref=picture.ref)

    def thresholds(self) -> dict[str, float]:
        return {"detection": 0.25}


@pytest.mark.django_db(transaction=True)
def test_a_version_deleted_while_a_preannotation_uses_it_gives_a_sentence_and_keeps_the_boxes_stored(
    make_image, engineer, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """An engineer cleaning up old versions deleted the one a running pre-annotation had chosen: the next picture's boxes
    pointed at the deleted row, and the job failed with "IntegrityError: FOREIGN KEY constraint failed; see the server log"."""
    weights = tmp_path / "best.pt"
    weights.write_bytes(b"weights")
    versions = {
        kind: register_version(kind, weights, metrics={"pass_recall": 1.0, "accuracy": 0.5, "mAP50": 0.1})
        for kind in ("detection", "view", "defect")
    }
    pictures = [make_image(f"{n}_TOP.png") for n in range(3)]
    pipeline = FakePipeline(lambda: delete_version(versions["defect"], engineer))
    monkeypatch.setattr(prediction, "build_pipeline", lambda *args, **kwargs: pipeline)
    chosen = {kind: version.pk for kind, version in versions.items()}
    status = start_preannotation(image_ids=[p.pk for p in pictures], chosen=chosen, conf_threshold=0.25)
    run_preannotation(status.id)
    status = read_status("preannotation", status.id)
    assert "IntegrityError" not in status.message and "server log" not in status.message, status.message
    assert "was deleted while" in status.message, status.message
    # The picture done before the deletion keeps its boxes, still saying which (now deleted) versions made them.
    assert Annotation.objects.filter(source=Source.MODEL).count() == 1
