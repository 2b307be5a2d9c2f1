"""Probe: model boxes on the annotation page after undo, saves and conflicts with another tab's save."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotations.actions import BoxInput, save_boxes
from annotations.models import Annotation
from tests.browser_fixtures import annotation_page, chromium  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _mixed(make_image):  # type: ignore[no-untyped-def]
    """A person's box, then a model's boxes waiting for review, rejected and accepted."""
    image = make_image("w9_TOP.png", width=400, height=300)
    common = {"image": image, "width": 60, "height": 30, "view": "TOP"}
    human = Annotation.objects.create(x=10, y=200, defect="PASS", **common)
    pending = Annotation.objects.create(x=10, y=10, defect="SWEEP", source="model", review_state="pending", **common)
    rejected = Annotation.objects.create(x=100, y=10, defect="TOUCH", source="model", review_state="rejected", **common)
    accepted = Annotation.objects.create(x=200, y=10, defect="WOBBLE", source="model", review_state="accepted", **common)
    return image, human, pending, rejected, accepted


@pytest.mark.parametrize("choice", ["#conflict-merge", "#conflict-keep-mine"])
def test_a_model_box_another_tab_deleted_does_not_come_back_as_a_persons_box(chromium, live_server, annotator, make_image, choice):  # noqa: F811
    """Another annotator deleted the model's wrong guesses; this tab, opened before, relabelled the person's box. Resolving the
    conflict (merge, the focused choice, or keep mine) brought the untouched guesses back as new human boxes: training data
    nobody reviewed, drawn and listed as a person's."""
    image, human, pending, rejected, accepted = _mixed(make_image)
    context, page = annotation_page(chromium, live_server.url, annotator.username, image.pk)
    kept = [BoxInput(id=a.pk, x=a.x, y=a.y, width=a.width, height=a.height, view=a.view, defect=a.defect) for a in (human, accepted)]
    save_boxes(image, kept, base_revision=0, user=annotator)  # the other tab's save
    items = page.locator("#box-list li")
    items.nth(0).click()
    page.keyboard.press("3")  # WOBBLE
    page.keyboard.press("Control+s")
    expect(page.locator("#conflict")).to_be_visible()
    page.click(choice)
    expect(page.locator("#status")).to_contain_text("Saved (revision 2)")
    expect(page.locator("#status")).to_contain_text("2 model boxes deleted in the other version stay deleted")
    assert not Annotation.objects.filter(image=image, y=10, x__lt=150).exists(), "the deleted model guesses came back"
    assert list(Annotation.objects.filter(image=image).order_by("y", "x").values_list("defect", "source")) == [
        ("WOBBLE", "model"),
        ("WOBBLE", "human"),
    ]
    expect(items).to_have_count(2)
    context.close()


def test_a_model_box_the_other_tab_deleted_but_this_tab_edited_is_kept_as_the_editors_box(chromium, live_server, annotator, make_image):  # noqa: F811
    """The rule above leaves a person's work alone: a model box this tab corrected is kept (merge) as this person's box."""
    image, human, pending, rejected, accepted = _mixed(make_image)
    context, page = annotation_page(chromium, live_server.url, annotator.username, image.pk)
    kept = [BoxInput(id=a.pk, x=a.x, y=a.y, width=a.width, height=a.height, view=a.view, defect=a.defect) for a in (human, accepted)]
    save_boxes(image, kept, base_revision=0, user=annotator)
    page.locator("#box-list li").nth(1).click()  # the pending SWEEP
    page.keyboard.press("4")  # TOUCH
    page.keyboard.press("Control+s")
    expect(page.locator("#conflict")).to_be_visible()
    page.click("#conflict-merge")
    expect(page.locator("#status")).to_contain_text("Saved (revision 2)")
    assert Annotation.objects.filter(image=image, x=10, y=10, defect="TOUCH", source="human").count() == 1
    assert not Annotation.objects.filter(image=image, x=100).exists()  # the rejected one, untouched, stays deleted
    context.close()


def test_the_box_list_says_an_edited_model_box_will_train_before_the_save(chromium, live_server, annotator, make_image):  # noqa: F811
    """Relabelling a rejected model box still read "rejected: not used for training" (drawn grey, dashed) until the save,
    which stored it as corrected: training data."""
    image, human, pending, rejected, accepted = _mixed(make_image)
    context, page = annotation_page(chromium, live_server.url, annotator.username, image.pk)
    items = page.locator("#box-list li")
    items.nth(2).click()
    page.keyboard.press("2")  # SWEEP
    expect(items.nth(2)).to_contain_text("model box, edited: saving marks it corrected, used for training")
    expect(items.nth(2)).not_to_contain_text("not used for training")
    page.keyboard.press("Control+z")
    expect(items.nth(2)).to_contain_text("model box, rejected: not used for training")
    page.keyboard.press("2")
    page.keyboard.press("Control+s")
    expect(items.nth(2)).to_contain_text("model box, corrected")
    assert Annotation.objects.get(pk=rejected.pk).review_state == "corrected"
    context.close()


def test_undoing_the_deletion_of_a_model_box_after_a_save_says_it_comes_back_as_yours(chromium, live_server, annotator, make_image):  # noqa: F811
    """Delete a model box waiting for review, save, Ctrl+Z: the box came back listed as a plain box, and the next save stored
    the model's unreviewed guess as a person's box (training data) without a word."""
    image, human, pending, rejected, accepted = _mixed(make_image)
    context, page = annotation_page(chromium, live_server.url, annotator.username, image.pk)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    items = page.locator("#box-list li")
    items.nth(1).click()
    page.keyboard.press("Delete")
    page.keyboard.press("Control+s")
    expect(page.locator("#status")).to_contain_text("Saved (revision 1)")
    page.keyboard.press("Control+z")
    expect(items).to_have_count(4)
    expect(items.nth(1)).to_contain_text("TOP SWEEP at 10,10 60×30 · was a model box (deleted when saved): saving adds it as your box")
    assert errors == []
    context.close()


def test_the_redo_key_of_other_tools_does_not_undo_one_more_change(chromium, live_server, annotator, make_image):  # noqa: F811
    """The page has undo (Ctrl+Z) and no redo. Ctrl+Shift+Z, redo in CVAT, Label Studio and most editors, undid one more
    change: a user who undid one step too many and tried to redo lost a second change."""
    image, human, pending, rejected, accepted = _mixed(make_image)
    context, page = annotation_page(chromium, live_server.url, annotator.username, image.pk)
    items = page.locator("#box-list li")
    items.nth(0).click()
    page.keyboard.press("Delete")
    items.nth(0).click()
    page.keyboard.press("Delete")
    expect(items).to_have_count(2)
    page.keyboard.press("Control+z")
    expect(items).to_have_count(3)
    page.keyboard.press("Control+Shift+z")
    expect(page.locator("#status")).to_contain_text("There is no redo")
    expect(items).to_have_count(3)
    context.close()
