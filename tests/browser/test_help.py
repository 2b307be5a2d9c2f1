"""The guide inside the app, and the ? overlay of keyboard shortcuts (issue 16 item 10)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_fixtures import annotation_page, chromium, login  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_help_is_linked_from_every_page_and_renders_the_guide_offline(chromium, live_server, annotator):  # noqa: F811
    context = chromium.new_context()
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    login(page, live_server.url, annotator.username, PASSWORD)
    page.goto(f"{live_server.url}/library/")
    page.click("a.help-link")
    expect(page.locator("h1")).to_have_text("User guide")
    page.click("text=Annotating")
    expect(page.locator("article.help h1")).to_contain_text("Annotat")
    expect(page.locator("article.help table").first).to_be_visible()  # the keys table, rendered
    expect(page.locator("article.help img").first).to_have_js_property("complete", True)  # its screenshot, served by the help
    assert page.evaluate("document.querySelector('article.help img').naturalWidth") > 0
    # A link to another guide page stays inside the help.
    page.goto(f"{live_server.url}/help/live-training/")
    page.click("article.help a[href='/help/training/']")
    expect(page.locator("article.help h1")).to_have_text("Training")
    assert all(url.startswith(live_server.url) for url in requests), [u for u in requests if not u.startswith(live_server.url)]
    context.close()


def test_question_mark_shows_the_shortcuts_over_the_annotation_page_and_esc_closes_them(chromium, live_server, annotator, make_image):  # noqa: F811
    image = make_image("w7_TOP.png", width=400, height=300)
    context, page = annotation_page(chromium, live_server.url, annotator.username, image.pk)
    overlay = page.locator("#shortcuts-overlay")
    page.keyboard.press("?")
    expect(overlay).to_be_visible()
    expect(overlay).to_contain_text("Ctrl+S")
    page.keyboard.press("w")  # keys do nothing to the picture while the list is open
    page.keyboard.press("Escape")
    expect(overlay).to_be_hidden()
    expect(page.locator("#status")).not_to_contain_text("Drawing")
    page.goto(f"{live_server.url}/review/")
    page.keyboard.press("?")
    expect(page.locator("#shortcuts-overlay")).to_contain_text("next / previous proposal")
    context.close()
