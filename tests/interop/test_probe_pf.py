"""Leftovers P-F: a picture's boxes changed between the import's plan and its apply."""

from __future__ import annotations

import pytest

from annotations.actions import BoxInput, save_boxes
from annotations.models import Annotation, Image
from interop import views
from interop.apply import apply_plan, plan_import
from interop.dataset import ForeignBox, ForeignImage
from review.prediction import review
from tests.conftest import zipped
from tests.interop.test_probe_leftovers_a import MAPPING, dataset, pending_model_box


@pytest.fixture
def between_plan_and_apply(monkeypatch):  # type: ignore[no-untyped-def]
    """Run ``action`` in the web import right after it planned again and before it applies (another person's save)."""

    def install(action):  # type: ignore[no-untyped-def]
        real = views.apply_plan

        def late(plan, user):  # type: ignore[no-untyped-def]
            action()
            return real(plan, user)

        monkeypatch.setattr(views, "apply_plan", late)

    return install


def test_a_model_box_accepted_between_the_plan_and_the_apply_is_not_doubled_by_the_imported_box(  # type: ignore[no-untyped-def]
    client, annotator, engineer, make_image, settings, tmp_path, between_plan_and_apply
) -> None:
    """The import planned to accept the pending model box; a reviewer accepted it first, so the import no longer found it
    waiting and stored its own box beside it: the loop counted twice in training."""
    settings.DATA_DIR = tmp_path / "data"
    image = make_image("004_TOP.png", 80, 60)
    model_box = pending_model_box(image)
    between_plan_and_apply(lambda: review(model_box.pk, "accept", engineer))
    client.force_login(annotator)
    csv = b"image_name,x,y,width,height,label\n004_TOP.png,20,20,9,9,TOUCH\n"
    started = client.post("/import/", {"file": zipped({"boxes.csv": csv}, "boxes.zip"), "format": "auto"})
    page = client.get(started["Location"])
    form = {f"labels-{row['index']}-defect": row["defect"] for row in page.context["rows"]["labels"]}
    form.update({f"labels-{row['index']}-view": "TOP" for row in page.context["rows"]["labels"]})
    form.update(outside="clip", save_as="")
    client.post(started["Location"], form)
    applied = client.post(started["Location"] + "apply/", follow=True).content.decode()
    assert list(Annotation.objects.filter(image=image)) == [model_box]
    model_box.refresh_from_db()
    assert model_box.review_state == "accepted" and model_box.annotator == engineer
    assert "1 picture changed while the import was applied (someone saved or reviewed its boxes): 004_TOP.png." in applied
    assert "1 already there was skipped." in applied


def test_a_box_saved_between_the_plan_and_the_apply_is_not_imported_again_beside_it(make_image, annotator, engineer) -> None:  # type: ignore[no-untyped-def]
    image = make_image("004_TOP.png", 80, 60)
    plan = plan_import(dataset(ForeignBox("touch", 20, 20, 9, 9), ForeignBox("sweep", 50, 20, 9, 9)), MAPPING)
    assert plan.box_count == 2
    save_boxes(image, [BoxInput(20, 20, 9, 9, "TOP", "TOUCH")], base_revision=image.annotation_revision, user=engineer)
    result = apply_plan(plan, annotator)
    boxes = sorted((a.x, a.defect) for a in Annotation.objects.filter(image=image))
    assert boxes == [(20, "TOUCH"), (50, "SWEEP")]
    assert (result.boxes_created, result.skipped) == (1, 1)
    assert result.changed_sentence() == (
        "1 picture changed while the import was applied (someone saved or reviewed its boxes): 004_TOP.png. "
        "Its boxes were checked again against the boxes there now; 1 already there was skipped."
    )


def test_a_picture_deleted_between_the_plan_and_the_apply_is_left_out_with_a_sentence(make_image, annotator) -> None:  # type: ignore[no-untyped-def]
    """The apply read the planned picture with ``get`` and failed the whole import with Image.DoesNotExist (a 500)."""
    kept, gone = make_image("004_TOP.png", 80, 60), make_image("005_TOP.png", 80, 60)
    source = dataset(ForeignBox("touch", 20, 20, 9, 9))
    source.images.append(ForeignImage("005_TOP.png", boxes=[ForeignBox("touch", 20, 20, 9, 9)]))
    plan = plan_import(source, MAPPING)
    Image.objects.filter(pk=gone.pk).delete()
    result = apply_plan(plan, annotator)
    assert Annotation.objects.filter(image=kept).count() == 1
    assert (result.boxes_created, result.skipped) == (1, 1)
    assert "005_TOP.png was deleted while the import was applied; its 1 box was left out." in result.changed_sentence()
    assert result.changed == []  # the picture nobody touched was not planned again
