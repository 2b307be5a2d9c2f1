"""End to end in headless Chromium: upload, draw by mouse, label by keys, navigate, resolve a conflict."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.users import page_user_key
from annotations.models import Annotation, AnnotationChange, Image
from tests.browser_fixtures import annotation_page, chromium, login  # noqa: F401
from tests.conftest import PASSWORD, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def open_picture(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#annotator[data-ready='1']")


def drag_box(page: Page, dx0: float, dy0: float, dx1: float, dy1: float) -> None:
    """Drag on the canvas between two points given relative to its centre (in screen pixels)."""
    canvas = page.locator("#canvas").bounding_box()
    assert canvas is not None
    cx, cy = canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2
    page.mouse.move(cx + dx0, cy + dy0)
    page.mouse.down()
    page.mouse.move(cx + (dx0 + dx1) / 2, cy + (dy0 + dy1) / 2, steps=4)
    page.mouse.move(cx + dx1, cy + dy1, steps=4)
    page.mouse.up()


def test_annotate_two_pictures_by_mouse_and_keys_then_resolve_a_conflict(chromium, live_server, annotator, tmp_path):  # noqa: F811
    base = live_server.url
    files = []
    for index, name in enumerate(["線 01_TOP.png", "線 01_SIDE.png"]):
        path = tmp_path / name
        path.write_bytes(png_bytes(400, 300, seed=100 + index))
        files.append(str(path))

    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    login(page, base, annotator.username, PASSWORD)

    page.goto(f"{base}/library/")
    page.set_input_files("#upload-input", files)
    page.wait_for_selector("#upload-status[data-done='1']")
    expect(page.locator("#upload-results li.created")).to_have_count(2)
    top, side = Image.objects.order_by("id")
    assert (top.view, side.view, top.wire_id) == ("TOP", "SIDE", "線 01")

    page.reload()
    page.click(f"a[href='/images/{top.pk}/annotate/']")
    page.wait_for_selector("#annotator[data-ready='1']")
    page.keyboard.press("w")
    drag_box(page, -120, -60, 80, 40)
    page.keyboard.press("s")  # the new box is selected: S sets its view to SIDE
    page.keyboard.press("4")  # TOUCH
    expect(page.locator("#box-list li")).to_have_count(1)
    expect(page.locator("#box-list li").first).to_contain_text("SIDE TOUCH")
    page.keyboard.press("Escape")
    page.keyboard.press("s")  # no box selected: S still means SIDE (for the boxes drawn next); it never saves
    expect(page.locator("#status")).to_contain_text("New boxes get SIDE")
    assert not Annotation.objects.filter(image=top).exists()

    page.keyboard.press("a")  # saves, then opens the previous picture in the library's order (newest first)
    page.wait_for_url(f"{base}/images/{side.pk}/annotate/")
    page.wait_for_selector("#annotator[data-ready='1']")
    expect(page.locator("#partner-link")).to_be_visible()
    page.keyboard.press("d")
    page.wait_for_url(f"{base}/images/{top.pk}/annotate/")
    page.wait_for_selector("#annotator[data-ready='1']")
    expect(page.locator("#box-list li").first).to_contain_text("SIDE TOUCH")
    saved = Annotation.objects.get(image=top)
    assert (saved.view, saved.defect) == ("SIDE", "TOUCH")
    assert saved.width > 50 and saved.height > 20
    expect(page.locator("#history li").first).to_contain_text(annotator.username)

    # A second tab opens the same picture (revision 1); the first tab then saves revision 2.
    other = context.new_page()
    open_picture(other, f"{base}/images/{top.pk}/annotate/")
    page.keyboard.press("Tab")
    page.keyboard.press("1")  # PASS
    page.keyboard.press("Control+s")
    expect(page.locator("#status")).to_contain_text("Saved (revision 2)")

    # The second tab adds a box and saves on its old revision: it sees both versions.
    other.keyboard.press("w")
    drag_box(other, 100, 80, 160, 120)
    other.keyboard.press("Control+s")
    dialog = other.locator("#conflict")
    expect(dialog).to_be_visible()
    expect(other.locator("#conflict-mine li")).to_have_count(2)
    expect(other.locator("#conflict-server li")).to_have_count(1)
    expect(other.locator("#conflict-server li").first).to_contain_text("SIDE PASS")
    # Who saved the other version and when; both versions drawn, differences marked; the safe choice focused.
    expect(other.locator("#conflict-message")).to_contain_text(f"{annotator.username} saved this picture at")
    canvas = other.locator("#conflict-canvas")
    assert (canvas.get_attribute("data-only-mine"), canvas.get_attribute("data-only-server")) == ("2", "1")
    expect(other.locator("#conflict-server li.differs")).to_have_count(1)
    assert other.evaluate("document.activeElement.id") == "conflict-merge"
    # Esc closes it without choosing; the next save asks again.
    other.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(other.locator("#status")).to_contain_text("Conflict not resolved")
    other.keyboard.press("Control+s")
    expect(dialog).to_be_visible()
    other.click("#conflict-merge")
    expect(other.locator("#status")).to_contain_text("Saved (revision 3)")
    # Its history panel gained only what it missed (the first tab's change) and its own, without reloading all.
    expect(other.locator("#history li")).to_have_count(AnnotationChange.objects.filter(image=top).count())
    expect(other.locator("#history li").first).to_contain_text("create box")

    # Nothing lost: the first tab's PASS and the second tab's new box are both stored.
    defects = sorted(Annotation.objects.filter(image=top).values_list("defect", flat=True))
    assert defects == ["PASS", "PASS"]
    assert Image.objects.get(pk=top.pk).annotation_revision == 3
    page.reload()
    page.wait_for_selector("#annotator[data-ready='1']")
    expect(page.locator("#box-list li")).to_have_count(2)
    context.close()


def test_network_error_keeps_a_local_draft_that_survives_a_reload(chromium, live_server, annotator, make_image):  # noqa: F811
    image = make_image("<b>w9</b>_TOP.png", width=400, height=300)
    context, page = annotation_page(chromium, live_server.url, annotator.username, image.pk)
    expect(page.locator("#image-name")).to_have_text("<b>w9</b>_TOP.png")
    expect(page.locator("#image-name b")).to_have_count(0)
    page.route("**/api/images/*/annotations", lambda route: route.abort() if route.request.method == "PUT" else route.continue_())
    page.keyboard.press("w")
    drag_box(page, -100, -50, 50, 30)
    page.keyboard.press("3")  # WOBBLE
    page.keyboard.press("Delete")
    expect(page.locator("#box-list li")).to_have_text(["No boxes yet: press W and drag on the picture."])
    page.keyboard.press("Control+z")
    expect(page.locator("#box-list li").first).to_contain_text("TOP WOBBLE")
    # Resize by the south-east handle: the box grows.
    before = page.locator("#box-list li").first.inner_text()
    canvas = page.locator("#canvas").bounding_box()
    assert canvas is not None
    cx, cy = canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2
    page.mouse.move(cx + 50, cy + 30)
    page.mouse.down()
    page.mouse.move(cx + 90, cy + 60, steps=4)
    page.mouse.up()
    assert page.locator("#box-list li").first.inner_text() != before
    page.keyboard.press("Control+s")
    expect(page.locator("#status")).to_contain_text("kept as a local draft")
    assert not Annotation.objects.filter(image=image).exists()

    page.unroute("**/api/images/*/annotations")
    fresh = context.new_page()
    open_picture(fresh, f"{live_server.url}/images/{image.pk}/annotate/")
    expect(fresh.locator("#draft-banner")).to_be_visible()
    fresh.click("#draft-restore")
    expect(fresh.locator("#status")).to_contain_text("Saved (revision 1)")
    saved = Annotation.objects.get(image=image)
    assert saved.defect == "WOBBLE"
    assert fresh.evaluate(f"localStorage.getItem('wiresag-draft-{page_user_key(annotator)}-{image.pk}')") is None
    context.close()


def test_the_toolbar_is_reachable_by_keyboard_and_the_name_readable_at_1024_px(chromium, live_server, annotator, make_image):  # noqa: F811
    """Issue 16 item 11: Tab from the toolbar moves the focus; the picture name does not shrink to nothing."""
    image = make_image("w00042_lot-2026-12_TOP.png", width=400, height=300)
    context, page = annotation_page(chromium, live_server.url, annotator.username, image.pk, width=1024, height=768)
    name = page.locator("#image-name").bounding_box()
    assert name is not None and name["width"] >= 100, name
    page.keyboard.press("w")
    drag_box(page, -100, -50, 50, 30)
    page.focus("#prev-button")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "next-button"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "partner-button"
    # From the picture, Tab still walks the boxes.
    page.focus("#stage")
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    expect(page.locator("#box-list li.selected")).to_have_count(1)
    context.close()
