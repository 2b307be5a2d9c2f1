"""Probe of the pages in Chromium: what an inspector or an engineer meets when walking them."""

from __future__ import annotations

import shutil

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import BrowserContext, Page, expect

from annotations.choices import ReviewState, Source
from annotations.models import Annotation
from core import filejobs
from review.inspection import INSPECTION, job_dir, root
from tests.browser_fixtures import annotation_page, chromium, login  # noqa: F401
from tests.conftest import PASSWORD, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def fonts_drawing(context: BrowserContext, page: Page, selector: str) -> list[dict[str, object]]:
    """The fonts Chromium drew the text of ``selector`` with (a font missing a character draws a box instead)."""
    page.evaluate("document.fonts.ready")
    cdp = context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    return list(cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"])


def test_the_chinese_class_names_on_buttons_menus_and_charts_use_the_apps_font(chromium, live_server, annotator, make_image):  # noqa: F811
    """The machines have no CJK font: the app serves one, and the defect buttons, menus and chart legends must use it too."""
    image = make_image("w1_TOP.png", width=400, height=300)
    Annotation.objects.create(image=image, x=1, y=1, width=120, height=60, view="TOP", defect="SWEEP")
    context, page = annotation_page(chromium, live_server.url, annotator.username, image.pk)
    assert any(font["isCustomFont"] for font in fonts_drawing(context, page, "button[data-defect=SWEEP]"))  # "2 SWEEP 沖線"
    page.goto(f"{live_server.url}/library/")
    page.select_option("#id_defect", "SWEEP")  # "SWEEP 沖線" shown in the closed menu
    assert any(font["isCustomFont"] for font in fonts_drawing(context, page, "#id_defect"))
    page.goto(f"{live_server.url}/statistics/")
    page.wait_for_function("document.body.dataset.charts === '3'")
    # The charts' font draws 沖 exactly as the app's font does (not as a missing-glyph box).
    same = page.evaluate(
        """() => {
          const family = Chart.getChart('chart-balance').options.font.family;  // what its legend and axes draw with
          const draw = (font) => {
            const canvas = document.createElement('canvas');
            canvas.width = canvas.height = 40;
            const context = canvas.getContext('2d');
            context.font = font;
            context.fillText('沖', 4, 30);
            return Array.from(context.getImageData(0, 0, 40, 40).data).join(',');
          };
          return draw(`16px ${family}`) === draw('16px "Wiresag CJK"');
        }"""
    )
    assert same
    context.close()


def test_a_job_page_says_when_the_user_is_logged_out_and_when_the_job_is_gone(chromium, live_server, engineer, settings, tmp_path):  # noqa: F811
    """The page polls the job's progress: a lost session or an expired job is said, not "lost contact" or nothing at all."""
    settings.DATA_DIR = tmp_path / "data"
    job = filejobs.new_job(root(INSPECTION), INSPECTION, {"image_ids": [1], "versions": {}}, user=engineer.username, total=1)
    context = chromium.new_context()
    page = context.new_page()
    login(page, live_server.url, engineer.username, PASSWORD)
    page.goto(f"{live_server.url}/jobs/{INSPECTION}/{job.id}/")
    expect(page.locator("#job-state")).to_have_text("queued")
    Session.objects.all().delete()  # the session ends while the page is left open
    expect(page.locator("#job-message")).to_contain_text("you are logged out", timeout=5000)
    login(context.new_page(), live_server.url, engineer.username, PASSWORD)  # as the page says, in another tab
    expect(page.locator("#job-message")).to_have_text("Waiting for a worker.", timeout=5000)  # it goes on by itself
    shutil.rmtree(job_dir(INSPECTION, job.id))  # old jobs are removed
    expect(page.locator("body")).to_contain_text("This job does not exist (any more).", timeout=5000)
    context.close()


def test_keys_pressed_while_dragging_a_box_neither_throw_nor_move_another_box(chromium, live_server, annotator, make_image):  # noqa: F811
    """Esc in the middle of a move undoes the move; Tab in the middle of one does not hand the drag to the next box."""
    image = make_image("w1_TOP.png", width=400, height=300)
    Annotation.objects.create(image=image, x=150, y=100, width=100, height=100, view="TOP", defect="SWEEP")
    Annotation.objects.create(image=image, x=10, y=10, width=40, height=30, view="TOP", defect="PASS")
    context, page = annotation_page(chromium, live_server.url, annotator.username, image.pk)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    canvas = page.locator("#canvas").bounding_box()
    assert canvas is not None
    cx, cy = canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2  # the picture's centre: inside the big box

    def drag_the_big_box_pressing(key: str) -> None:
        page.mouse.move(cx, cy)
        page.mouse.down()
        page.mouse.move(cx + 40, cy + 20, steps=4)
        page.keyboard.press(key)
        page.mouse.move(cx + 60, cy + 30, steps=4)
        page.mouse.up()

    drag_the_big_box_pressing("Escape")
    expect(page.locator("#box-list li")).to_have_text(["TOP SWEEP at 150,100 100×100", "TOP PASS at 10,10 40×30"])
    assert errors == []
    drag_the_big_box_pressing("Tab")
    expect(page.locator("#box-list li").nth(1)).to_have_text("TOP PASS at 10,10 40×30")  # the small box stays put
    expect(page.locator("#box-list li").first).not_to_have_text("TOP SWEEP at 150,100 100×100")  # the big one moved
    expect(page.locator("#status")).to_have_text("Unsaved changes")  # and the page knows it
    assert errors == []
    context.close()


def test_leaving_the_library_while_an_upload_is_on_its_way_asks_first(chromium, live_server, annotator, tmp_path):  # noqa: F811
    """Leaving the page cancels the upload and its results: the browser must ask, as the annotate page does with unsaved boxes."""
    context = chromium.new_context()
    page = context.new_page()
    login(page, live_server.url, annotator.username, PASSWORD)
    page.goto(f"{live_server.url}/library/")
    held = []
    page.route("**/api/images/upload", lambda route: held.append(route))  # a slow network: the upload stays on its way
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.fill("#upload-group", "lot-7")
    picture = tmp_path / "w1_TOP.png"
    picture.write_bytes(png_bytes(64, 48))
    page.set_input_files("#upload-input", str(picture))
    expect(page.locator("#upload-status")).to_contain_text("Uploading 1 file")
    page.click("nav a[href='/review/']", no_wait_after=True)
    page.wait_for_timeout(1000)
    assert dialogs == ["beforeunload"]
    assert page.url == f"{live_server.url}/library/"
    context.close()


def test_two_quick_accepts_in_the_review_queue_accept_two_boxes(chromium, live_server, annotator, make_image):  # noqa: F811
    """A fast reviewer presses A, A before the first answer is back: the second A is for the next box, not an error."""
    boxes = [
        Annotation.objects.create(
            image=make_image(f"w{i}_TOP.png"),
            x=1,
            y=1,
            width=20,
            height=20,
            view="TOP",
            defect="SWEEP",
            source=Source.MODEL,
            review_state=ReviewState.PENDING,
            confidences={"detection": 0.1 + i / 10},
        )
        for i in range(2)
    ]
    context = chromium.new_context()
    page = context.new_page()
    login(page, live_server.url, annotator.username, PASSWORD)
    page.goto(f"{live_server.url}/review/")
    expect(page.locator("#queue tbody tr")).to_have_count(2)
    page.wait_for_selector("#queue tbody tr.current")  # the keys are listened to (a loaded machine is slow to get there)
    held = []
    page.route("**/review/*/decide", lambda route: held.append(route))  # the answers take a moment to come back
    page.keyboard.press("a")
    page.keyboard.press("a")
    page.wait_for_timeout(500)
    for route in held:
        route.continue_()
    expect(page.locator("#queue tbody tr .state")).to_have_text(["accepted", "accepted"])
    expect(page.locator("#review-message")).not_to_contain_text("already reviewed")
    assert {box.review_state for box in Annotation.objects.filter(pk__in=[b.pk for b in boxes])} == {ReviewState.ACCEPTED}
    context.close()


def test_c_right_after_a_opens_the_picture_only_once_the_decision_is_saved(chromium, live_server, annotator, make_image):  # noqa: F811
    """Leaving the page cancels a decision still on its way: A then C at once must not lose the A."""
    boxes = [
        Annotation.objects.create(
            image=make_image(f"w{i}_TOP.png"),
            x=1,
            y=1,
            width=20,
            height=20,
            view="TOP",
            defect="SWEEP",
            source=Source.MODEL,
            review_state=ReviewState.PENDING,
            confidences={"detection": 0.1 + i / 10},
        )
        for i in range(2)
    ]
    context = chromium.new_context()
    page = context.new_page()
    login(page, live_server.url, annotator.username, PASSWORD)
    page.goto(f"{live_server.url}/review/")
    page.wait_for_selector("#queue tbody tr.current")  # the keys are listened to (a loaded machine is slow to get there)
    held = []
    page.route("**/review/*/decide", lambda route: held.append(route))  # the answer takes a moment to come back
    page.keyboard.press("a")
    page.keyboard.press("c")
    page.wait_for_timeout(500)
    assert page.url == f"{live_server.url}/review/"  # still here: the decision is on its way
    for route in held:
        route.continue_()
    page.wait_for_url(f"{live_server.url}/images/*/annotate/?box={boxes[1].pk}")  # A moved the queue on: C corrects the next box
    assert Annotation.objects.get(pk=boxes[0].pk).review_state == ReviewState.ACCEPTED
    context.close()
