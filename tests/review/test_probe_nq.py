"""Review pages whose cost grew with the library: every pending box loaded and ranked in Python, a query per version."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations.choices import ReviewState, Source
from annotations.models import Annotation, Image
from registry.models import ModelVersion

pytestmark = pytest.mark.django_db


def _pictures(count: int, start: int = 0) -> list[Image]:
    """``count`` TOP pictures of as many wires, written as rows only (the queue never opens their files)."""
    return Image.objects.bulk_create(
        Image(
            file=f"images/x{i}.png",
            original_name=f"w{i}_TOP.png",
            sha256=f"{i:064d}",
            width=64,
            height=48,
            wire_id=f"w{i}",
            view="TOP",
        )
        for i in range(start, start + count)
    )


def _pending(images: list[Image], defect: str = "SWEEP", **versions: ModelVersion) -> list[Annotation]:
    return Annotation.objects.bulk_create(
        Annotation(
            image=image,
            x=1,
            y=1,
            width=5,
            height=5,
            view="TOP",
            defect=defect,
            source=Source.MODEL,
            review_state=ReviewState.PENDING,
            confidences={"detection": 0.9, "view": 0.9, "defect": 0.9},
            **versions,
        )
        for image in images
    )


def _queue_queries(client) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("review:queue")).status_code == 200
    return len(queries)


def test_the_review_queue_opens_when_more_than_a_thousand_wires_wait(client, annotator) -> None:  # type: ignore[no-untyped-def]
    """After pre-annotating a library of 1,200 wires the review page failed with a 500: the "views disagree" check
    asked for every waiting wire in one OR of 1,200 terms, deeper than SQLite parses ("Expression tree is too large")."""
    _pending(_pictures(1200))
    client.force_login(annotator)
    response = client.get(reverse("review:queue"))
    assert response.status_code == 200
    assert response.context["total"] == 1200 and len(response.context["items"]) == 200


def test_the_review_queue_loads_only_the_boxes_it_shows(client, annotator, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Every pending box (and its picture and three versions) was loaded into Python and sorted there to show 200 of them."""
    import review.views

    monkeypatch.setattr(review.views, "QUEUE_LIMIT", 5)
    _pending(_pictures(15))
    loaded: list[int] = []

    def count(sender, instance, **kwargs) -> None:  # type: ignore[no-untyped-def]
        loaded.append(instance.pk)

    post_init.connect(count, sender=Annotation)
    try:
        client.force_login(annotator)
        response = client.get(reverse("review:queue"))
    finally:
        post_init.disconnect(count, sender=Annotation)
    assert response.status_code == 200 and response.context["total"] == 15 and len(response.context["items"]) == 5
    assert len(loaded) <= 5


def test_the_queue_still_ranks_disagreeing_wires_before_pass_and_routine_boxes(client, annotator) -> None:  # type: ignore[no-untyped-def]
    """The ranking moved into the database: a wire whose TOP and SIDE boxes differ still comes first, before PASS and the rest."""
    top, side, lone, calm = _pictures(4)
    Image.objects.filter(pk=side.pk).update(wire_id=top.wire_id, view="SIDE")
    routine = _pending([calm], "TOUCH")[0]
    rare = _pending([lone], "PASS")[0]
    disagree = _pending([top], "SWEEP")[0]
    Annotation.objects.create(image=side, x=1, y=1, width=5, height=5, view="SIDE", defect="WOBBLE")  # a person's box
    weak = _pending([calm], "TOUCH")[0]
    Annotation.objects.filter(pk=weak.pk).update(confidences={"detection": 0.9, "view": 0.3, "defect": 0.9})
    client.force_login(annotator)
    items = client.get(reverse("review:queue")).context["items"]
    assert [item.annotation.pk for item in items] == [disagree.pk, weak.pk, rare.pk, routine.pk]
    assert [item.reason for item in items] == ["views disagree", "low confidence", "rare class (PASS)", "routine"]
    assert items[1].confidence == pytest.approx(0.3)


def test_the_correction_rates_take_the_same_queries_however_many_versions(client, annotator) -> None:  # type: ignore[no-untyped-def]
    """The review page counted each model version's boxes with a query of its own: hundreds of versions, hundreds of queries."""

    def versions(count: int, start: int) -> None:
        for i in range(start, start + count):
            version = ModelVersion.objects.create(model_type="defect", name=f"defect_{i}", file_path=f"defect/{i}.pt", sha256="0" * 64)
            _pending(_pictures(1, start=i), defect_version=version)

    client.force_login(annotator)
    versions(5, 0)
    few = _queue_queries(client)
    versions(10, 5)
    many = _queue_queries(client)
    assert len(client.get(reverse("review:queue")).context["rates"]) == 15
    assert many == few


def test_a_large_inspection_s_page_shows_a_page_of_rows_and_points_to_the_downloads(client, annotator) -> None:  # type: ignore[no-untyped-def]
    """The page of an inspection drew every wire and every picture of its report: an inspection of the whole library
    (20,000 pictures) made a 3.6 MB page that took seconds to build, each time it was opened."""
    from core.inspection.verdicts import PictureResult
    from tests.review.test_probe_inspection import _box, _finished_inspection

    shown, count = 500, 600  # wires, each with a TOP and a SIDE picture
    pictures = [PictureResult(f"w{i}_{view}.png", f"w{i}", view, (_box("PASS"),)) for i in range(count) for view in ("TOP", "SIDE")]
    job = _finished_inspection(pictures)
    client.force_login(annotator)
    response = client.get(reverse("review:job", args=["inspection", job]))
    assert response.status_code == 200
    assert len(response.context["rows"]) == len(response.context["wires"]) == shown
    assert response.context["counts"]["wires"] == count  # the counts still cover the whole report
    page = response.content.decode()
    assert f"The first {shown} of {count} wires and of {2 * count} picture rows are shown" in page
