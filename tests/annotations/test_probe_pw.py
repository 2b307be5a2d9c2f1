"""The annotation page open while another feature (a pre-annotation, an import) writes the same picture's boxes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.inspection.verdicts import BoxPrediction, PictureResult
from interop.apply import ImportPlan, PlannedBox, PlannedImage, apply_plan
from registry.versions import register_version
from review.prediction import _store

pytestmark = pytest.mark.django_db

MY_BOX = {"id": None, "x": 30, "y": 20, "width": 12, "height": 12, "view": "TOP", "defect": "SWEEP"}


def save(client, image, base_revision):  # type: ignore[no-untyped-def]
    body = {"base_revision": base_revision, "boxes": [MY_BOX]}
    return client.put(f"/api/images/{image.pk}/annotations", json.dumps(body), content_type="application/json")


def test_a_pre_annotation_stored_while_the_page_was_open_is_named_not_called_someone(client, annotator, make_image, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Anna opened a picture without boxes and drew one; meanwhile the engineer's pre-annotation stored the models' box
    on it. Her save was refused with "Someone saved this picture at 09:12 ... after you opened it": she went looking for
    a colleague working on her picture, while it was the models."""
    weights = tmp_path / "best.pt"
    weights.write_bytes(b"weights")
    metrics = {"pass_recall": 1.0, "accuracy": 0.5, "mAP50": 0.1}
    versions = {kind: register_version(kind, weights, metrics=metrics) for kind in ("detection", "view", "defect")}
    image = make_image("w1_TOP.png")
    client.force_login(annotator)
    opened = client.get(f"/api/images/{image.pk}/annotations").json()["image"]["revision"]
    box = BoxPrediction(1, 1, 20, 20, 0.9, "TOP", 0.9, "PASS", 0.9, (0.9, 0.05, 0.03, 0.02))
    assert _store(image, PictureResult(image.original_name, "w1", "TOP", (box,), ref=image.pk), versions, {}) == 1
    response = save(client, image, opened)
    assert response.status_code == 409
    error = response.json()["error"]
    assert not error.startswith("Someone"), error
    assert error.startswith("A pre-annotation added the models' boxes to this picture at "), error


def test_an_import_applied_while_the_page_was_open_says_it_was_imported(client, annotator, engineer, make_image) -> None:  # type: ignore[no-untyped-def]
    """Erik imported a CVAT export into the lot Anna was annotating: her save of one of its pictures was refused with
    "erik saved this picture at ...", as if he had been annotating it by hand beside her."""
    image = make_image("w2_TOP.png")
    client.force_login(annotator)
    opened = client.get(f"/api/images/{image.pk}/annotations").json()["image"]["revision"]
    planned = PlannedImage(image.original_name, "", image.width, image.height, library_id=image.pk, revision=image.annotation_revision)
    planned.boxes.append(PlannedBox(2, 2, 10, 10, "TOP", "PASS", "pass"))
    apply_plan(ImportPlan(format="cvat", images=[planned]), engineer)
    response = save(client, image, opened)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error.startswith(f"{engineer.username} imported boxes (from cvat) into this picture at "), error


def test_pictures_imported_while_the_statistics_are_counted_never_make_a_negative_count(make_image, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The statistics are counted in a handful of queries, in a thread beside the page. An import of three annotated
    pictures that committed between the first (how many pictures) and the last (boxes per picture) left the page
    showing "0 boxes: -1 pictures" (and a bar below zero), kept for the next minutes as the library's summary."""
    from annotations import stats
    from annotations.models import Annotation

    for n in range(2):
        make_image(f"old{n}_TOP.png")
    counted = stats._unpaired

    def import_commits_meanwhile():  # type: ignore[no-untyped-def]
        found = counted()
        for n in range(3):
            new = make_image(f"new{n}_TOP.png")
            Annotation.objects.create(image=new, x=1, y=1, width=10, height=10, view="TOP", defect="PASS")
        return found

    monkeypatch.setattr(stats, "_unpaired", import_commits_meanwhile)
    counts = stats.dataset_stats()
    assert all(pictures > 0 for _boxes, pictures in counts.boxes_per_picture), counts.boxes_per_picture
    assert sum(pictures for _boxes, pictures in counts.boxes_per_picture) == counts.image_count, counts
