"""Leftovers other probes noticed: a human box where a rejected model box is, the export's silent leave-outs."""

from __future__ import annotations

from annotations.models import Annotation
from interop.apply import apply_plan, plan_import
from interop.dataset import ForeignBox, ForeignDataset, ForeignImage
from interop.mapping import clean

MAPPING = clean({"labels": {"touch": {"defect": "TOUCH", "view": "TOP"}}})


def rejected_model_box(image) -> Annotation:  # type: ignore[no-untyped-def]
    return Annotation.objects.create(
        image=image, x=20, y=20, width=9, height=9, view="TOP", defect="TOUCH", source="model", review_state="rejected"
    )


def test_human_box_where_a_rejected_model_box_is_imported_not_skipped_as_duplicate(make_image, annotator) -> None:  # type: ignore[no-untyped-def]
    """A reviewer rejected the model's box; a human then drew the same box in another tool. The import
    called the human's box a duplicate of the rejected one and left it out: the box was lost."""
    image = make_image("004_TOP.png", 80, 60)
    rejected_model_box(image)
    dataset = ForeignDataset("csv", images=[ForeignImage("004_TOP.png", boxes=[ForeignBox("touch", 20, 20, 9, 9)])], labels=["touch"])
    plan = plan_import(dataset, MAPPING)
    assert plan.skipped == [] and plan.box_count == 1
    apply_plan(plan, annotator)
    assert Annotation.objects.for_training().filter(image=image, source="human").count() == 1


def test_rejected_box_imported_again_is_still_a_duplicate(make_image) -> None:  # type: ignore[no-untyped-def]
    image = make_image("005_TOP.png", 80, 60)
    rejected_model_box(image)
    box = ForeignBox("touch", 20, 20, 9, 9, attributes={"review_state": "rejected"})
    dataset = ForeignDataset("cvat", images=[ForeignImage("005_TOP.png", boxes=[box])], labels=["touch"])
    plan = plan_import(dataset, MAPPING)
    assert plan.box_count == 0 and [s.reason for s in plan.skipped] == ["duplicate (the same box is already there)"]


def test_an_export_says_how_many_pictures_of_the_selection_it_left_out_for_having_no_boxes(make_image, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A lot of five pictures, two annotated: the export held two and said "Exported 2 boxes on 2 pictures", nothing
    about the three the user expected to find in the zip."""
    from interop.exports import run_export, start_export, status_of

    settings.DATA_DIR = tmp_path / "data"
    pictures = [make_image(f"{n:03d}_TOP.png", 40, 30, wire_group="lot7") for n in range(5)]
    make_image("900_TOP.png", 40, 30, wire_group="lot8")  # outside the selection: not counted
    for image in pictures[:2]:
        Annotation.objects.create(image=image, x=1, y=2, width=10, height=5, view="TOP", defect="PASS")
    filters = {"view": "", "defect": "", "wire_group": "lot7", "name": ""}
    status = start_export(filters, "coco", include_pictures=False, for_training=True)
    run_export(status.id)
    message = status_of(status.id).message
    assert message.startswith("Exported 2 boxes on 2 pictures")
    assert "3 pictures of the selection have no boxes" in message


def test_an_export_of_annotated_pictures_only_says_nothing_of_left_out_pictures(make_image, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from interop.exports import run_export, start_export, status_of

    settings.DATA_DIR = tmp_path / "data"
    Annotation.objects.create(image=make_image("001_TOP.png", 40, 30), x=1, y=2, width=10, height=5, view="TOP", defect="PASS")
    status = start_export({}, "csv", include_pictures=False, for_training=True)
    run_export(status.id)
    assert "no boxes" not in status_of(status.id).message


def test_export_annotations_says_how_many_pictures_it_left_out_for_having_no_boxes(make_image, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from io import StringIO

    from django.core.management import call_command

    Annotation.objects.create(image=make_image("001_TOP.png", 40, 30), x=1, y=2, width=10, height=5, view="TOP", defect="PASS")
    make_image("002_TOP.png", 40, 30)
    out = StringIO()
    call_command("export_annotations", str(tmp_path / "out.zip"), "--format", "csv", "--no-pictures", stdout=out)
    assert "1 picture of the selection has no boxes, so the export leaves it out" in out.getvalue()


def test_an_export_of_training_data_says_how_many_pictures_it_left_out_for_holding_only_unreviewed_model_boxes(  # type: ignore[no-untyped-def]
    make_image, settings, tmp_path
) -> None:
    """After a pre-annotation, pictures whose boxes all wait for review were left out of the export without a word: the
    message named only the pictures with no box at all."""
    from io import StringIO

    from django.core.management import call_command

    from annotations.choices import ReviewState, Source
    from interop.exports import run_export, start_export, status_of

    settings.DATA_DIR = tmp_path / "data"
    Annotation.objects.create(image=make_image("001_TOP.png", 40, 30), x=1, y=2, width=10, height=5, view="TOP", defect="PASS")
    for name, state in (("002_TOP.png", ReviewState.PENDING), ("003_TOP.png", ReviewState.REJECTED)):
        image = make_image(name, 40, 30)
        Annotation.objects.create(
            image=image, x=1, y=2, width=10, height=5, view="TOP", defect="SWEEP", source=Source.MODEL, review_state=state
        )
    status = start_export({}, "csv", include_pictures=False, for_training=True)
    run_export(status.id)
    message = status_of(status.id).message
    assert "Exported 1 boxes on 1 pictures" in message
    assert "2 pictures of the selection hold only model boxes waiting for review or rejected" in message
    assert '"include model boxes waiting for review or rejected" ticked' in message
    everything = start_export({}, "csv", include_pictures=False, for_training=False)
    run_export(everything.id)
    assert "only model boxes" not in status_of(everything.id).message
    out = StringIO()
    call_command("export_annotations", str(tmp_path / "out.zip"), "--format", "csv", "--no-pictures", stdout=out)
    assert "2 pictures of the selection hold only model boxes" in out.getvalue() and "--all-boxes" in out.getvalue()
