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
