"""Access between users on one computer: a local draft of the annotation page belongs to the user who drew it."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from accounts.users import create_user_with_role
from tests.browser.test_annotate import drag_box, open_picture
from tests.browser_fixtures import annotation_page, chromium, login  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def log_out_and_in(page: Page, base_url: str, username: str) -> None:
    page.locator(".user button").click()  # the header's Log out
    page.wait_for_url(f"{base_url}/login/")
    login(page, base_url, username, PASSWORD)


def test_the_next_user_on_a_shared_computer_is_not_offered_anothers_draft(chromium, live_server, annotator, make_image):  # noqa: F811
    """Anna's unsaved boxes, kept as a local draft, were offered to Bert, who could save them as his or throw them away."""
    bert = create_user_with_role("bert", PASSWORD, "annotator")
    image = make_image("w1_TOP.png", width=400, height=300)
    url = f"{live_server.url}/images/{image.pk}/annotate/"
    context, page = annotation_page(chromium, live_server.url, annotator.username, image.pk)
    page.route("**/api/images/*/annotations", lambda route: route.abort() if route.request.method == "PUT" else route.continue_())
    page.keyboard.press("w")
    drag_box(page, -100, -50, 50, 30)
    page.keyboard.press("Control+s")
    expect(page.locator("#status")).to_contain_text("kept as a local draft")
    page.close(run_before_unload=False)
    # Bert logs in on the same browser and opens the picture: no draft of Anna's is offered.
    page = context.new_page()
    open_picture(page, url)
    log_out_and_in(page, live_server.url, bert.username)
    open_picture(page, url)
    page.wait_for_timeout(500)
    expect(page.locator("#draft-banner")).to_be_hidden()
    # Anna, back at the computer, still finds hers.
    log_out_and_in(page, live_server.url, annotator.username)
    open_picture(page, url)
    expect(page.locator("#draft-banner")).to_be_visible(timeout=3000)
    context.close()


def test_a_draft_kept_before_drafts_had_an_owner_is_still_offered(chromium, live_server, annotator, make_image):  # noqa: F811
    image = make_image("w1_TOP.png", width=400, height=300)
    context, page = annotation_page(chromium, live_server.url, annotator.username, image.pk)
    box = {"id": None, "x": 10, "y": 10, "width": 50, "height": 40, "view": "TOP", "defect": "PASS"}
    draft = json.dumps({"base_revision": 0, "boxes": [box], "at": "2024-01-01T00:00:00Z"})
    page.evaluate("([key, value]) => localStorage.setItem(key, value)", [f"wiresag-draft-{image.pk}", draft])
    open_picture(page, f"{live_server.url}/images/{image.pk}/annotate/")
    expect(page.locator("#draft-banner")).to_be_visible(timeout=3000)
    page.locator("#draft-restore").click()
    expect(page.locator("#status")).to_contain_text("Saved (revision 1)", timeout=5000)
    assert page.evaluate(f"localStorage.getItem('wiresag-draft-{image.pk}')") is None
    context.close()


def test_a_draft_kept_under_its_owners_id_alone_is_still_offered_after_the_upgrade(chromium, live_server, annotator, make_image):  # noqa: F811
    """Drafts were kept under the user's id before the key (id and when the account joined): still offered, then saved."""
    image = make_image("w1_TOP.png", width=400, height=300)
    context, page = annotation_page(chromium, live_server.url, annotator.username, image.pk)
    box = {"id": None, "x": 10, "y": 10, "width": 50, "height": 40, "view": "TOP", "defect": "PASS"}
    draft = json.dumps({"base_revision": 0, "boxes": [box], "at": "2024-01-01T00:00:00Z"})
    older_key = f"wiresag-draft-{annotator.pk}-{image.pk}"
    page.evaluate("([key, value]) => localStorage.setItem(key, value)", [older_key, draft])
    open_picture(page, f"{live_server.url}/images/{image.pk}/annotate/")
    expect(page.locator("#draft-banner")).to_be_visible(timeout=3000)
    page.locator("#draft-restore").click()
    expect(page.locator("#status")).to_contain_text("Saved (revision 1)", timeout=5000)
    assert page.evaluate(f"localStorage.getItem('{older_key}')") is None
    context.close()
