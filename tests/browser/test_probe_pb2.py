"""Sessions changing under open pages: another user logging in in another tab of the same browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.users import create_user_with_role
from annotations.choices import ReviewState, Source
from annotations.models import Annotation, AnnotationChange
from tests.browser.test_annotate import drag_box
from tests.browser_fixtures import annotation_page, chromium, login  # noqa: F401
from tests.conftest import PASSWORD
from tests.live_fixtures import daphne_server  # noqa: F401


def log_in_over(page, base_url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    """Log in through the login form while this browser is logged in already (its header holds a logout button too)."""
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form[action='/login/'] button[type=submit]")
    page.wait_for_url(f"{base_url}/")


pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_save_from_a_page_opened_as_another_user_is_not_recorded_as_the_new_one(chromium, live_server, annotator, make_image):  # noqa: F811
    """Anna's unsaved boxes; Bob logs in in another tab of the same browser; Anna presses Ctrl+S in her tab."""
    bob = create_user_with_role("bob", PASSWORD, "annotator")
    image = make_image("w1_TOP.png", width=400, height=300)
    context, page = annotation_page(chromium, live_server.url, annotator.username, image.pk)
    page.keyboard.press("w")
    drag_box(page, -100, -50, 50, 30)
    other = context.new_page()
    log_in_over(other, live_server.url, bob.username)
    page.bring_to_front()
    page.keyboard.press("Control+s")
    expect(page.locator("#status")).to_contain_text("bob", timeout=5000)
    assert not AnnotationChange.objects.filter(user=bob).exists(), "Anna's boxes were saved as Bob's without a word"
    status = page.locator("#status").inner_text()
    assert "anna" in status and "local draft" in status, status
    # Anna logs in again in the other tab, as the sentence says, and saves her boxes as hers.
    log_in_over(other, live_server.url, annotator.username)
    page.bring_to_front()
    page.keyboard.press("Control+s")
    expect(page.locator("#status")).to_contain_text("Saved (revision 1)", timeout=5000)
    assert Annotation.objects.get(image=image).annotator == annotator
    context.close()


def test_a_review_decision_from_a_queue_opened_as_another_user_is_not_recorded_as_the_new_one(chromium, live_server, annotator, make_image):  # noqa: F811
    bob = create_user_with_role("bob", PASSWORD, "annotator")
    image = make_image("w2_TOP.png", width=200, height=150)
    box = Annotation.objects.create(
        image=image, x=10, y=10, width=40, height=30, view="TOP", defect="PASS", source=Source.MODEL, review_state=ReviewState.PENDING
    )
    context = chromium.new_context()
    page = context.new_page()
    login(page, live_server.url, annotator.username, PASSWORD)
    page.goto(f"{live_server.url}/review/")
    expect(page.locator("#queue tbody tr")).to_have_count(1)
    other = context.new_page()
    log_in_over(other, live_server.url, bob.username)
    page.bring_to_front()
    page.keyboard.press("a")
    expect(page.locator("#review-message")).to_contain_text("bob", timeout=5000)
    box.refresh_from_db()
    assert box.review_state == ReviewState.PENDING, "Anna's decision was recorded as Bob's without a word"
    assert "anna" in page.locator("#review-message").inner_text()
    context.close()


def test_a_run_page_whose_engineer_lost_the_role_says_to_ask_an_admin(chromium, daphne_server, engineer):  # noqa: F811
    """It said "not allowed: log in again"; logging in again gives the same, since the role is what is missing."""
    from tests.browser.test_hostile_upload import real_passwords
    from training.models import TrainingRun
    from training.sink import DatabaseSink

    real_passwords(engineer)
    run = TrainingRun.objects.create(model_type="defect", config={"epochs": 3})
    TrainingRun.objects.claim(run.pk, "w1")
    page = chromium.new_page()
    login(page, daphne_server, engineer.username, PASSWORD)
    page.goto(f"{daphne_server}/training/runs/{run.pk}/")
    expect(page.locator("#connection")).to_have_text("live")
    engineer.groups.clear()  # an admin takes the role away while the page is open
    DatabaseSink(run.pk, "w1").on_log("INFO", "epoch 2")
    expect(page.locator("#connection")).to_contain_text("Ask an admin to give it back", timeout=10_000)


def test_a_review_decision_after_the_role_was_taken_does_not_say_logged_out(chromium, live_server, annotator, make_image):  # noqa: F811
    """The role middleware answered the queue's decision with its HTML page, which the queue took for a login page."""
    from tests.browser.test_lost_work import decide_in_queue

    message = decide_in_queue(chromium, live_server, annotator, make_image, lambda page: annotator.groups.clear())
    assert "logged out" not in message and "Ask an admin" in message, message
