"""docs/inference.md walked on the annotation page: a pre-annotated box's history says which models made it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotations.models import Annotation, AnnotationChange
from tests.browser_fixtures import annotation_page, chromium  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_history_of_a_pre_annotated_box_names_the_models_not_an_unknown_user(chromium, live_server, annotator, make_image):  # noqa: F811
    """The guide promises "Pre-annotated by ..." in the picture's history; the page listed "unknown · create box"."""
    image = make_image("w7_TOP.png", width=400, height=300)
    box = Annotation.objects.create(
        image=image, x=10, y=10, width=80, height=40, view="TOP", defect="SWEEP", source="model", review_state="pending"
    )
    note = "Pre-annotated by detection_20261207_065711_map500.90, view_20261207_065711_acc0.95"
    AnnotationChange.of(AnnotationChange.Action.CREATE, box, note=note).save()  # what run_preannotation records
    context, page = annotation_page(chromium, live_server.url, annotator.username, image.pk)
    entry = page.locator("#history li").first
    expect(entry).to_contain_text(note)
    expect(entry).not_to_contain_text("unknown")
    context.close()


def test_model_boxes_say_whether_they_wait_for_review_or_were_rejected(chromium, live_server, annotator, make_image):  # noqa: F811
    """A model's boxes were listed and drawn like a person's: a rejected one (which never trains) looked like a label, and
    a picture holding only boxes waiting for review looked done."""
    image = make_image("w8_TOP.png", width=400, height=300)
    common = {"image": image, "width": 60, "height": 30, "view": "TOP"}
    Annotation.objects.create(x=10, y=10, defect="SWEEP", source="model", review_state="pending", **common)
    Annotation.objects.create(x=100, y=10, defect="TOUCH", source="model", review_state="rejected", **common)
    Annotation.objects.create(x=200, y=10, defect="WOBBLE", **common)
    context, page = annotation_page(chromium, live_server.url, annotator.username, image.pk)
    items = page.locator("#box-list li")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_contain_text("TOP SWEEP at 10,10 60×30 · model box, waiting for review")
    expect(items.nth(1)).to_contain_text("TOP TOUCH at 100,10 60×30 · model box, rejected: not used for training")
    expect(items.nth(2)).to_have_text("TOP WOBBLE at 200,10 60×30")
    # Moving the waiting box corrects it (the server marks it so) and the list says so after the save.
    items.nth(0).click()
    page.keyboard.press("3")  # WOBBLE
    page.keyboard.press("Control+s")
    expect(items.nth(0)).to_contain_text("TOP WOBBLE at 10,10 60×30 · model box, corrected")
    assert Annotation.objects.get(x=10).review_state == "corrected"
    context.close()
