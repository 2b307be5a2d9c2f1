"""A model box a person deletes on the annotation page is a judgment of its model version, and counts as one."""

from __future__ import annotations

from django.urls import reverse

from annotations.actions import BoxInput, save_boxes
from annotations.choices import ReviewState
from annotations.models import Annotation
from registry.models import ModelVersion
from review.prediction import review
from tests.review.test_probe_nq import _pending, _pictures


def _kept(annotation: Annotation) -> BoxInput:
    return BoxInput(
        id=annotation.pk,
        view=annotation.view,
        defect=annotation.defect,
        x=annotation.x,
        y=annotation.y,
        width=annotation.width,
        height=annotation.height,
    )


def test_deleting_a_waiting_model_box_counts_as_rejecting_it(client, annotator, engineer) -> None:  # type: ignore[no-untyped-def]
    """Deleting a model's wrong guess on the annotation page removed its row, so the version's correction rate never
    saw the rejection: a model whose every guess was deleted by hand kept a rate of 'not yet known' (or of 0 %)."""
    version = ModelVersion.objects.create(model_type="defect", name="defect_a", file_path="defect/a.pt", sha256="0" * 64)
    other = ModelVersion.objects.create(model_type="detection", name="detection_a", file_path="detection/a.pt", sha256="1" * 64)
    images = _pictures(3)
    wrong, right, later = _pending(images, defect_version=version, detection_version=other)
    review(right.pk, "accept", annotator)
    # The person deletes the wrong guess, keeps nothing else on that picture.
    save_boxes(images[0], [], base_revision=images[0].annotation_revision, user=annotator)
    # An accepted box deleted later stays an acceptance: the judgment was made.
    images[1].refresh_from_db()
    save_boxes(images[1], [], base_revision=images[1].annotation_revision, user=annotator)
    # A box kept as it is stays waiting.
    save_boxes(images[2], [_kept(later)], base_revision=images[2].annotation_revision, user=annotator)
    rates = {row.version.pk: row for row in ModelVersion.objects.correction_rates()}
    defect = rates[version.pk]
    assert (defect.reviewed, defect.accepted, defect.rejected, defect.deleted, defect.pending) == (2, 1, 1, 1, 1)
    assert defect.rate == 0.5
    assert (rates[other.pk].rejected, rates[other.pk].deleted) == (1, 1)
    assert Annotation.objects.get(pk=later.pk).review_state == ReviewState.PENDING

    client.force_login(annotator)
    page = client.get(reverse("review:queue")).content.decode()
    assert "1 (deleted 1)" in page
    client.force_login(engineer)
    detail = client.get(reverse("registry:detail", args=[version.pk])).content.decode()
    assert "1 rejected, 1 of them deleted on the annotation page" in detail


def test_a_waiting_box_whose_version_was_deleted_says_so_in_the_queue(client, annotator) -> None:  # type: ignore[no-untyped-def]
    """The Models cell of such a box was blank where the deleted version's name had been."""
    detector = ModelVersion.objects.create(model_type="detection", name="detection_kept", file_path="detection/k.pt", sha256="1" * 64)
    gone = ModelVersion.objects.create(model_type="defect", name="defect_gone", file_path="defect/g.pt", sha256="0" * 64)
    _pending(_pictures(1), detection_version=detector, defect_version=gone)
    gone.delete()
    client.force_login(annotator)
    page = client.get(reverse("review:queue")).content.decode()
    assert "detection_kept" in page and "(a deleted version)" in page
