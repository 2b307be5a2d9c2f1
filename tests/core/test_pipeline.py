"""The inference pipeline on synthetic pictures with tiny models trained once per session.

The tiny models learn next to nothing, so these tests check what the pipeline
does with any model: the crops match the training crops, classes come back in
the one label order, bad pictures and missing models give sentences and the
batch goes on, and the reports hold every picture and wire.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from core.data.dataset import records_from_synthetic
from core.data.prepare import output_name
from core.imaging.pictures import ModelUnavailable, PictureInput, pictures_in_folder
from core.inspection.inference import Classifier, InferencePipeline
from core.labels import DEFECTS, VIEWS
from tests.tiny_models import TinyModels, tiny_models

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> TinyModels:
    return tiny_models(tmp_path_factory.getbasetemp() / "tiny-models")


@pytest.fixture(scope="module")
def pipeline(models: TinyModels) -> InferencePipeline:
    # The one-epoch detector is unsure of everything: a very low threshold still yields boxes.
    return InferencePipeline(models.detection, models.view, models.defect, conf_threshold=0.001, max_detections=3)


def test_classifier_crops_are_the_training_crops(models: TinyModels, pipeline: InferencePipeline) -> None:
    sample = models.samples[0]
    record = records_from_synthetic([sample])[0]
    picture = np.asarray(PILImage.open(sample.path).convert("RGB"))
    x, y, w, h = sample.box
    assert pipeline.defect_model.wire_frame  # the default: both cut the box framed on its traced wire
    crop = pipeline.defect_model.crops(picture, np.array([[x, y, x + w, y + h]]), [record.boxes[0].view])[0]
    prepared = next((models.crops["defect"]).glob(f"*/{sample.defect}/{output_name(record, record.boxes[0].view)}-0.png"))
    assert np.array_equal(crop, np.asarray(PILImage.open(prepared).convert("RGB")))
    assert pipeline.defect_model.margin == 0.15 and pipeline.defect_model.image_size == 48


def test_every_picture_gets_boxes_classes_and_its_wire_a_verdict(models: TinyModels, pipeline: InferencePipeline) -> None:
    report = pipeline.run(pictures_in_folder(models.pictures))
    assert len(report.pictures) == len(models.samples)
    for result in report.pictures:
        assert result.success and 1 <= len(result.boxes) <= 3
        assert result.view == result.image_name.split("_")[1].split(".")[0]
        for box in result.boxes:
            assert box.view in VIEWS and box.defect in DEFECTS
            assert box.defect == DEFECTS[int(np.argmax(box.defect_probabilities))]
            assert sum(box.defect_probabilities) == pytest.approx(1.0, abs=1e-4)
            assert 0 <= box.x1 < box.x2 <= 160 and 0 <= box.y1 < box.y2 <= 160
    wires = {wire.wire_id: wire for wire in report.wires}
    assert set(wires) == {sample.wire_id for sample in models.samples}
    assert all(wire.complete and wire.verdict in DEFECTS and wire.deciding_view in VIEWS for wire in wires.values())
    assert report.versions == {"detection": "best.pt", "view": "best.pt", "defect": "best.pt"}
    assert report.thresholds == {"detection": 0.001}
    assert pipeline.times.pictures >= len(models.samples) and pipeline.times.detection > 0


def test_bad_picture_and_lone_view_give_rows_and_the_batch_goes_on(models: TinyModels, pipeline: InferencePipeline, tmp_path: Path) -> None:
    lone = next(s for s in models.samples if s.view == "TOP")
    items = [
        PictureInput("broken_TOP.png", data=b"\x89PNG\r\n\x1a\n not really"),
        PictureInput("missing_SIDE.png", path=tmp_path / "missing_SIDE.png"),
        PictureInput(lone.filename, path=lone.path),
    ]
    report = pipeline.run(items)
    broken, missing, good = report.pictures
    assert not broken.success and "Upload PNG, JPEG, BMP or TIFF" in broken.error
    assert not missing.success and "cannot be read" in missing.error
    assert good.success and good.boxes
    wires = report.wire_of()
    assert wires["broken"].verdict is None and "broken_TOP.png" in wires["broken"].note
    assert not wires[lone.wire_id].complete and f"{lone.wire_id}_SIDE.png" in wires[lone.wire_id].note
    paths = report.write(tmp_path / "report")
    with paths["csv"].open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["success"] for r in rows[:2]] == ["False", "False"] and all(r["success"] == "True" for r in rows[2:])


def test_per_view_defect_model_serves_only_its_view(models: TinyModels) -> None:
    pipeline = InferencePipeline(
        models.detection, models.view, None, defect_paths={"TOP": models.defect}, conf_threshold=0.001, max_detections=1
    )
    top = next(s for s in models.samples if s.view == "TOP")
    side = next(s for s in models.samples if s.view == "SIDE")
    report = pipeline.run([PictureInput(top.filename, path=top.path), PictureInput(side.filename, path=side.path)])
    assert report.pictures[0].success
    assert "No defect model serves SIDE pictures" in report.pictures[1].error
    assert report.versions["defect/TOP"] == "best.pt"


def test_missing_or_wrong_model_files_are_refused_with_a_sentence(models: TinyModels, tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="does not exist; train or activate a view model first"):
        InferencePipeline(models.detection, tmp_path / "nope.pt", models.defect)
    with pytest.raises(ModelUnavailable, match="is a defect model, but a view model is needed"):
        Classifier(models.defect, pipeline_device(), "view")
    with pytest.raises(ModelUnavailable, match="No detection model was given"):
        InferencePipeline(None, models.view, models.defect)


def pipeline_device():  # type: ignore[no-untyped-def]
    import torch

    return torch.device("cpu")


def test_a_defect_network_without_a_say_is_not_run_and_the_answer_is_the_same(models: TinyModels) -> None:
    import torch

    from core.shape.shapehead import combine, shape_log_probabilities
    from core.shape.wireshape import describe

    classifier = Classifier(models.defect, torch.device("cpu"), "defect")
    assert classifier.shape_head is not None
    classifier.shape_head["weight"] = 1.0  # the default: the traced shape decides alone
    crops, views = [], []
    for sample in models.samples[:6]:
        picture = np.asarray(PILImage.open(sample.path).convert("RGB"))
        x, y, w, h = sample.box
        crops += classifier.crops(picture, np.array([[x, y, x + w, y + h]]))
        views.append(sample.view)
    from core.training.crops import shape_inputs

    batch = torch.stack([classifier.transform(image=crop)["image"] for crop in crops])
    descriptors = np.stack([describe(crop, view) for crop, view in zip(crops, views, strict=True)])
    with torch.inference_mode():  # what the network said before: its answer has weight 0 in the mix
        shape = torch.from_numpy(shape_inputs(descriptors, views)) if classifier.shape is not None else None
        logits = classifier.model(batch, shape) if shape is not None else classifier.model(batch)
        network = torch.softmax(logits, dim=1).numpy()
    expected = combine(shape_log_probabilities(classifier.shape_head, descriptors, views), network, 1.0)

    def no_forward(*_: object) -> None:
        raise AssertionError("the network ran although its weight in the mix is 0")

    classifier.model.forward = no_forward  # type: ignore[method-assign, assignment]
    assert np.allclose(classifier.probabilities(crops, views), expected, atol=1e-6)
    classifier.shape_head["weight"] = 0.5  # a network with a say runs
    with pytest.raises(AssertionError, match="the network ran"):
        classifier.probabilities(crops, views)


def test_top_boxes_are_reported_snapped_to_their_wire_and_nothing_else_changes(models: TinyModels, pipeline: InferencePipeline) -> None:
    from core.inspection.inference import snapped_box

    as_detected = InferencePipeline(models.detection, models.view, models.defect, conf_threshold=0.001, max_detections=3, snap_boxes=False)
    items = list(pictures_in_folder(models.pictures))
    snapped, raw = pipeline.run(items), as_detected.run(items)
    moved = 0
    for item, picture_snapped, picture_raw in zip(items, snapped.pictures, raw.pictures, strict=True):
        picture = np.asarray(PILImage.open(item.path).convert("RGB"))
        for box, detected in zip(picture_snapped.boxes, picture_raw.boxes, strict=True):
            row = np.array([detected.x1, detected.y1, detected.x2, detected.y2, detected.detection_confidence])
            assert np.allclose([box.x1, box.y1, box.x2, box.y2], snapped_box(picture, row, picture_raw.view or "")[:4])
            assert (box.view, box.defect, box.defect_probabilities) == (detected.view, detected.defect, detected.defect_probabilities)
            assert box.detection_confidence == detected.detection_confidence
            moved += (box.x1, box.y1, box.x2, box.y2) != (detected.x1, detected.y1, detected.x2, detected.y2)
    assert moved, "no TOP box was snapped to its wire"
