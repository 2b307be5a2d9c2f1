"""Work that must not be lost when a session ends, the network drops or another tab saves (annotate page, review queue)."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from annotations.choices import ReviewState, Source
from annotations.models import Annotation
from tests.browser.test_annotate import drag_box, open_picture
from tests.browser_fixtures import annotation_page, chromium, login  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_annotate_save_after_logging_in_again_in_another_tab_as_the_page_says(chromium, live_server, annotator, make_image):  # noqa: F811
    """The 401 message says: log in again in another tab, then press Ctrl+S. Doing exactly that must save."""
    image = make_image("w1_TOP.png", width=400, height=300)
    context, page = annotation_page(chromium, live_server.url, annotator.username, image.pk)
    page.keyboard.press("w")
    drag_box(page, -100, -50, 50, 30)
    Session.objects.all().delete()  # the session expires (or the user logged out elsewhere)
    page.keyboard.press("Control+s")
    expect(page.locator("#status")).to_contain_text("log in again in another tab, then press Ctrl+S")
    other = context.new_page()
    login(other, live_server.url, annotator.username, PASSWORD)
    page.bring_to_front()
    page.keyboard.press("Control+s")
    expect(page.locator("#status")).to_contain_text("Saved (revision 1)", timeout=5000)
    assert Annotation.objects.filter(image=image).count() == 1
    context.close()


def _pending_box(make_image) -> Annotation:  # type: ignore[no-untyped-def]
    image = make_image("w2_TOP.png", width=200, height=150)
    return Annotation.objects.create(
        image=image, x=10, y=10, width=40, height=30, view="TOP", defect="PASS", source=Source.MODEL, review_state=ReviewState.PENDING
    )


def decide_in_queue(chromium, live_server, annotator, make_image, cut_off) -> str:  # type: ignore[no-untyped-def]  # noqa: F811
    """Accept the only pending box with the A key after ``cut_off(page)``; the message shown (no uncaught error allowed)."""
    _pending_box(make_image)
    page = chromium.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, live_server.url, annotator.username, PASSWORD)
    page.goto(f"{live_server.url}/review/")
    expect(page.locator("#queue tbody tr")).to_have_count(1)
    cut_off(page)
    page.keyboard.press("a")
    page.wait_for_timeout(1500)
    message = page.locator("#review-message").inner_text()
    assert errors == [] and message.strip(), f"uncaught errors {errors}, message shown: {message!r}"
    state = Annotation.objects.get().review_state
    assert state == ReviewState.PENDING, f"decided ({state}) though cut off; the page said {message!r}"  # not decided, and the page says so
    return message


def test_review_decision_while_offline_tells_the_reviewer_and_throws_nothing(chromium, live_server, annotator, make_image):  # noqa: F811
    # The browser's own offline switch: every request fails in the network stack (a routed abort once let the decision
    # through in a full run under load).
    message = decide_in_queue(chromium, live_server, annotator, make_image, lambda page: page.context.set_offline(True))
    assert "the server cannot be reached. The box stays pending" in message


def test_review_decision_after_the_session_ended_tells_the_reviewer_and_throws_nothing(chromium, live_server, annotator, make_image):  # noqa: F811
    message = decide_in_queue(chromium, live_server, annotator, make_image, lambda page: Session.objects.all().delete())
    assert "you are logged out. Log in again in another tab" in message


def test_a_save_in_another_tab_does_not_delete_this_tabs_draft(chromium, live_server, annotator, make_image):  # noqa: F811
    image = make_image("w1_TOP.png", width=400, height=300)
    context, tab_a = annotation_page(chromium, live_server.url, annotator.username, image.pk)
    url = f"{live_server.url}/images/{image.pk}/annotate/"
    tab_b = context.new_page()
    open_picture(tab_b, url)
    # Tab A: a box, and the save fails; the page says the work is kept as a local draft.
    tab_a.bring_to_front()
    tab_a.route("**/api/images/*/annotations", lambda route: route.abort() if route.request.method == "PUT" else route.continue_())
    tab_a.keyboard.press("w")
    drag_box(tab_a, -100, -50, 50, 30)
    tab_a.keyboard.press("4")  # TOUCH
    tab_a.keyboard.press("Control+s")
    expect(tab_a.locator("#status")).to_contain_text("kept as a local draft")
    tab_a.close(run_before_unload=False)
    # Tab B, opened earlier on the same picture, saves its own (different) box.
    tab_b.bring_to_front()
    tab_b.keyboard.press("w")
    drag_box(tab_b, 60, 40, 120, 90)
    tab_b.keyboard.press("Control+s")
    expect(tab_b.locator("#status")).to_contain_text("Saved (revision 1)")
    # Opening the picture again must still offer tab A's TOUCH box.
    again = context.new_page()
    open_picture(again, url)
    expect(again.locator("#draft-banner")).to_be_visible(timeout=3000)
    context.close()
