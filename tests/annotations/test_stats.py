"""Dataset statistics: counts, sizes, pairing, disagreement and too-small classes."""

from __future__ import annotations

from annotations.models import Annotation
from annotations.stats import dataset_stats
from tests.conftest import PASSWORD


def add_box(image, view, defect, width=200, height=70, **extra):  # type: ignore[no-untyped-def]
    return Annotation.objects.create(image=image, x=0, y=0, width=width, height=height, view=view, defect=defect, **extra)


def test_counts_boxes_per_picture_and_sizes(make_image, settings):
    settings.MIN_SAMPLES_PER_CLASS = 2
    top = make_image("w1_TOP.png", width=400, height=300)
    side = make_image("w1_SIDE.png", width=400, height=300)
    make_image("w2_TOP.png")
    add_box(top, "TOP", "TOUCH", width=160, height=45)
    add_box(top, "TOP", "TOUCH", width=240, height=100)
    add_box(side, "SIDE", "PASS", width=199)
    add_box(side, "SIDE", "SWEEP", source="model", review_state="pending")
    stats = dataset_stats()
    assert stats.image_count == 3
    assert stats.box_count == 3  # the pending model box is not training data
    assert stats.counts["TOP"]["TOUCH"] == 2
    assert stats.counts["SIDE"] == {"PASS": 1, "SWEEP": 0, "WOBBLE": 0, "TOUCH": 0}
    assert stats.defect_totals["TOUCH"] == 2
    assert stats.boxes_per_picture == [(0, 1), (2, 2)]
    histogram = {edge: (widths, heights) for edge, widths, heights in stats.size_histogram}
    assert histogram[150] == (2, 0)
    assert histogram[200] == (1, 0)
    assert histogram[0] == (0, 1)
    assert histogram[50] == (0, 1)
    assert histogram[100] == (0, 1)


def test_unpaired_and_disagreeing_wires(make_image):
    top1, side1 = make_image("w1_TOP.png"), make_image("w1_SIDE.png")
    top2, side2 = make_image("w2_TOP.png"), make_image("w2_SIDE.png")
    make_image("w3_TOP.png")
    make_image("w1_TOP.png", wire_group="lot-b")
    add_box(top1, "TOP", "PASS", width=10, height=10)
    add_box(side1, "SIDE", "TOUCH", width=10, height=10)
    add_box(top2, "TOP", "WOBBLE", width=10, height=10)
    add_box(side2, "SIDE", "WOBBLE", width=10, height=10)
    add_box(side2, "SIDE", "PASS", width=10, height=10)
    stats = dataset_stats()
    assert sorted(issue.key for issue in stats.unpaired) == ["lot-b/w1", "w3"]
    assert stats.unpaired_count == 2
    assert [(issue.key, issue.detail) for issue in stats.disagreeing] == [("w1", "TOP PASS, SIDE TOUCH")]
    assert stats.disagreeing[0].image_ids == (top1.pk, side1.pk)


def test_warning_for_each_class_below_the_minimum(make_image, settings):
    settings.MIN_SAMPLES_PER_CLASS = 2
    image = make_image("w1_TOP.png")
    for _ in range(2):
        for defect in ("PASS", "SWEEP", "WOBBLE", "TOUCH"):
            add_box(image, "TOP", defect, width=5, height=5)
            add_box(image, "SIDE", defect, width=5, height=5)
    assert dataset_stats().warnings == []
    Annotation.objects.filter(view="SIDE", defect="PASS").first().delete()
    warnings = dataset_stats().warnings
    assert len(warnings) == 1
    assert "PASS in SIDE view has 1 box" in warnings[0] and "WIRESAG_MIN_SAMPLES_PER_CLASS" in warnings[0]


def test_statistics_page_renders(client, annotator, make_image):
    image = make_image("w1_TOP.png")
    add_box(image, "TOP", "SWEEP", width=5, height=5)
    client.login(username=annotator.username, password=PASSWORD)
    html = client.get("/statistics/").content.decode()
    assert "SWEEP 沖線" in html
    assert "fewer than the" in html
    assert "w1: no SIDE picture" in html


def test_empty_library_statistics(db):
    stats = dataset_stats()
    assert stats.box_count == 0 and stats.size_histogram == [] and stats.boxes_per_picture == []
    assert len(stats.warnings) == 8
