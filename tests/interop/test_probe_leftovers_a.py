"""Known leftovers: a human box imported onto a loop where a model box waits for review."""

from __future__ import annotations

from annotations.models import Annotation, AnnotationChange
from interop.apply import apply_plan, plan_import
from interop.dataset import ForeignBox, ForeignDataset, ForeignImage
from interop.mapping import clean

MAPPING = clean({"labels": {"touch": {"defect": "TOUCH", "view": "TOP"}, "sweep": {"defect": "SWEEP", "view": "TOP"}}})


def pending_model_box(image, x: float = 20, defect: str = "TOUCH") -> Annotation:  # type: ignore[no-untyped-def]
    return Annotation.objects.create(
        image=image, x=x, y=20, width=9, height=9, view="TOP", defect=defect, source="model", review_state="pending"
    )


def dataset(*boxes: ForeignBox, name: str = "004_TOP.png") -> ForeignDataset:
    return ForeignDataset("csv", images=[ForeignImage(name, boxes=list(boxes))], labels=["touch", "sweep"])


def test_a_human_box_like_the_pending_model_box_accepts_it_instead_of_being_dropped(make_image, annotator) -> None:  # type: ignore[no-untyped-def]
    """Pre-annotated pictures, then the lot's human labels imported from the desktop tool: each human box the
    model had also found was skipped as a 'duplicate', so the loop stayed out of training until someone reviewed it."""
    image = make_image("004_TOP.png", 80, 60)
    model_box = pending_model_box(image)
    plan = plan_import(dataset(ForeignBox("touch", 20, 20, 9, 9)), MAPPING)
    assert plan.skipped == [] and plan.box_count == 1 and plan.settled_count == 1
    result = apply_plan(plan, annotator)
    assert (result.boxes_created, result.accepted, result.corrected) == (0, 1, 0)
    model_box.refresh_from_db()
    assert model_box.review_state == "accepted" and model_box.annotator == annotator
    assert list(Annotation.objects.for_training().filter(image=image)) == [model_box]
    assert AnnotationChange.objects.filter(annotation_id_ref=model_box.pk, action="review").count() == 1


def test_a_human_box_on_the_same_loop_with_other_labels_corrects_the_pending_model_box(make_image, annotator) -> None:  # type: ignore[no-untyped-def]
    """A human box on the loop the model called TOUCH, but SWEEP: both stayed, and accepting the model's box in
    review gave the loop two contradicting labels to train on."""
    image = make_image("004_TOP.png", 80, 60)
    model_box = pending_model_box(image)
    elsewhere = pending_model_box(image, x=60)  # another loop: left for review
    plan = plan_import(dataset(ForeignBox("sweep", 21, 19, 10, 10)), MAPPING)
    result = apply_plan(plan, annotator)
    assert (result.boxes_created, result.accepted, result.corrected) == (0, 0, 1)
    model_box.refresh_from_db()
    assert (model_box.defect, model_box.x, model_box.width, model_box.review_state) == ("SWEEP", 21, 10, "corrected")
    assert set(Annotation.objects.filter(image=image)) == {model_box, elsewhere}
    elsewhere.refresh_from_db()
    assert elsewhere.review_state == "pending"


def test_the_import_pages_say_how_many_pending_model_boxes_the_import_settles(client, annotator, make_image, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import zipped

    settings.DATA_DIR = tmp_path / "data"
    image = make_image("004_TOP.png", 80, 60)
    pending_model_box(image)
    pending_model_box(image, x=60)
    client.force_login(annotator)
    csv = b"image_name,x,y,width,height,label\n004_TOP.png,20,20,9,9,TOUCH\n004_TOP.png,59,21,9,9,SWEEP\n"
    started = client.post("/import/", {"file": zipped({"boxes.csv": csv}, "boxes.zip"), "format": "auto"})
    assert started.status_code == 302
    page = client.get(started["Location"])
    form = {f"labels-{row['index']}-defect": row["defect"] for row in page.context["rows"]["labels"]}
    form.update({f"labels-{row['index']}-view": "" for row in page.context["rows"]["labels"]})
    form.update(outside="clip", save_as="")
    report = client.post(started["Location"], form).content.decode()
    assert "2 of them settle model boxes waiting for review on the same loop" in report
    applied = client.post(started["Location"] + "apply/", follow=True).content.decode()
    assert "2 model boxes waiting for review were settled by the imported boxes on their loops (1 accepted, 1 corrected)" in applied


def test_import_annotations_says_how_many_pending_model_boxes_it_settled(make_image, annotator, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from io import StringIO

    from django.core.management import call_command

    image = make_image("004_TOP.png", 80, 60)
    pending_model_box(image)
    source = tmp_path / "boxes.csv"
    source.write_text("image_name,x,y,width,height,label\n004_TOP.png,20,20,9,9,TOUCH\n", encoding="utf-8")
    out = StringIO()
    call_command("import_annotations", str(source), "--format", "csv", "--user", annotator.username, stdout=out)
    assert "1 of them settles a model box waiting for review on the same loop" in out.getvalue()
    assert "1 model box waiting for review was settled by the imported boxes on their loops (1 accepted, 0 corrected)." in out.getvalue()
