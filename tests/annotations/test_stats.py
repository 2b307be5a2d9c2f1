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
    assert stats.boxes_per_picture == [(0, 1), (1, 1), (2, 1)]  # the side's pending box is not counted either
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
    """Training counts wires (both views of one wire are one), so the page warns in wires, as its refusal will."""
    settings.MIN_SAMPLES_PER_CLASS = 2
    for wire in ("w1", "w2"):
        top, side = make_image(f"{wire}_TOP.png"), make_image(f"{wire}_SIDE.png")
        for defect in ("PASS", "SWEEP", "WOBBLE", "TOUCH"):
            add_box(top, "TOP", defect, width=5, height=5)
            add_box(side, "SIDE", defect, width=5, height=5)
    assert dataset_stats().warnings == []
    Annotation.objects.filter(image__wire_id="w2", defect="PASS").delete()
    warnings = dataset_stats().warnings
    assert len(warnings) == 1
    assert "PASS is on 1 wire, fewer than the 2" in warnings[0] and "WIRESAG_MIN_SAMPLES_PER_CLASS" in warnings[0]


def test_several_pass_loops_on_one_wire_are_one_wire_as_training_counts_them(make_image, settings):
    """Three PASS loops on one wire's pictures looked like enough on the page (3 boxes per view), and training then
    refused: "PASS has 1 wire; at least 2 are needed"."""
    settings.MIN_SAMPLES_PER_CLASS = 2
    top, side = make_image("w1_TOP.png"), make_image("w1_SIDE.png")
    for x in (0, 300, 600):
        Annotation.objects.create(image=top, x=x, y=0, width=200, height=70, view="TOP", defect="PASS")
        Annotation.objects.create(image=side, x=x, y=0, width=200, height=70, view="SIDE", defect="PASS")
    for wire in ("w2", "w3"):
        image = make_image(f"{wire}_TOP.png")
        for defect in ("SWEEP", "WOBBLE", "TOUCH"):
            add_box(image, "TOP", defect, width=5, height=5)
    stats = dataset_stats()
    assert stats.counts["TOP"]["PASS"] == 3
    assert len(stats.warnings) == 1 and "is on 1 wire, fewer than the 2" in stats.warnings[0]
    assert stats.defect_wires == {"PASS": 1, "SWEEP": 2, "WOBBLE": 2, "TOUCH": 2}


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
    assert len(stats.warnings) == 4  # one per defect class: on 0 wires


def test_more_issues_than_the_examples_shown_are_counted_in_full(make_image, settings):  # type: ignore[no-untyped-def]
    from annotations.stats import EXAMPLE_LIMIT

    wires = EXAMPLE_LIMIT + 7
    for n in range(wires):
        top, side = make_image(f"d{n:03d}_TOP.png", width=64, height=48), make_image(f"d{n:03d}_SIDE.png", width=64, height=48)
        add_box(top, "TOP", "SWEEP", width=10, height=10)
        add_box(side, "SIDE", "WOBBLE", width=10, height=10)
        add_box(side, "SIDE", "TOUCH", width=10, height=10, source="model", review_state="rejected")  # not training data
        make_image(f"u{n:03d}_TOP.png", width=64, height=48)
    stats = dataset_stats()
    assert stats.disagreeing_count == wires and len(stats.disagreeing) == EXAMPLE_LIMIT
    assert stats.disagreeing[0].detail == "TOP SWEEP, SIDE WOBBLE"  # the rejected TOUCH box is not anyone's worst
    assert stats.unpaired_count == wires and len(stats.unpaired) == EXAMPLE_LIMIT
    assert all(len(issue.image_ids) == 2 for issue in stats.disagreeing)


def test_the_page_shows_a_kept_summary_and_counts_again_when_it_is_old_or_asked(client, annotator, make_image, settings):  # type: ignore[no-untyped-def]
    from annotations.stats import current_stats

    settings.STATISTICS_MAX_AGE_SECONDS = 3600
    client.login(username=annotator.username, password=PASSWORD)
    add_box(make_image("w1_TOP.png"), "TOP", "SWEEP", width=5, height=5)
    assert client.get("/statistics/").context["stats"].box_count == 1
    add_box(make_image("w2_TOP.png"), "TOP", "TOUCH", width=5, height=5)
    page = client.get("/statistics/")
    assert page.context["stats"].box_count == 1  # kept: younger than an hour
    assert "Counted at" in page.content.decode() and 'href="?fresh=1"' in page.content.decode()
    assert client.get("/statistics/?fresh=1").context["stats"].box_count == 2  # "Count again now"
    add_box(make_image("w3_TOP.png"), "TOP", "PASS", width=5, height=5)
    settings.STATISTICS_MAX_AGE_SECONDS = 0
    assert current_stats(background=False).box_count == 3  # too old: counted again


def test_an_old_summary_is_served_at_once_and_counted_again_in_a_thread(transactional_db, make_image, settings):  # type: ignore[no-untyped-def]
    import threading
    import time

    from annotations.stats import current_stats

    add_box(make_image("w1_TOP.png"), "TOP", "SWEEP", width=5, height=5)
    first = current_stats()
    add_box(make_image("w2_TOP.png"), "TOP", "TOUCH", width=5, height=5)
    settings.STATISTICS_MAX_AGE_SECONDS = 0
    time.sleep(0.01)
    assert current_stats() is first  # the old one at once ...
    for thread in threading.enumerate():
        if thread.name == "wiresag-statistics":
            thread.join(timeout=30)
    settings.STATISTICS_MAX_AGE_SECONDS = 3600
    assert current_stats().box_count == 2  # ... and the new count kept for the next view


def test_many_count_again_now_at_once_share_one_count_that_includes_every_saved_box(transactional_db, make_image, monkeypatch):  # type: ignore[no-untyped-def]
    """A hostile (or impatient) user firing "Count again now" in parallel cannot pile counts onto the server."""
    import threading
    import time

    from django.db import connection

    from annotations import stats as module

    add_box(make_image("w1_TOP.png"), "TOP", "SWEEP", width=5, height=5)
    module.current_stats(fresh=True)
    add_box(make_image("w2_TOP.png"), "TOP", "TOUCH", width=5, height=5)
    counted = []
    real = module.dataset_stats

    def slow_count():  # type: ignore[no-untyped-def]
        counted.append(threading.current_thread().name)
        time.sleep(0.3)  # a big library: every other request arrives while this count runs
        return real()

    monkeypatch.setattr(module, "dataset_stats", slow_count)
    answers = []

    def view() -> None:
        try:
            answers.append(module.current_stats(fresh=True).box_count)
        finally:
            connection.close()

    threads = [threading.Thread(target=view, name=f"viewer-{n}") for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert answers == [2] * 8  # every answer holds the box saved before it asked
    assert len(counted) <= 2, counted  # one count, or two when a view asked just after the first began
