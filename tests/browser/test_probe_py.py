"""Probe of the pages as a keyboard-only inspector, or one with a magnifier or a screen reader, meets them in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from annotations.models import Annotation
from tests.browser_fixtures import annotation_page, chromium, login  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FOCUSED = "document.activeElement.id"


def focus_ring(page: Page) -> str:
    """How the focused element shows its focus: its outline style, or its box shadow."""
    return page.evaluate(
        "(() => { const style = getComputedStyle(document.activeElement);"
        " return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 ? style.outlineStyle : style.boxShadow; })()"
    )


def test_tab_walks_the_boxes_then_leaves_the_picture_whose_focus_shows(chromium, live_server, annotator, make_image):  # noqa: F811
    """Tab on the picture selects the next box; past the last box it went round to the first again, so a keyboard-only
    inspector could never Tab to the box list, the label buttons or a draft banner (the page puts the focus on the
    picture when it opens). Nor could they see that the picture held the focus: it had no outline."""
    image = make_image("w1_TOP.png", width=400, height=300)
    Annotation.objects.create(image=image, x=10, y=10, width=80, height=40, view="TOP", defect="SWEEP")
    Annotation.objects.create(image=image, x=200, y=10, width=80, height=40, view="TOP", defect="PASS")
    context, page = annotation_page(chromium, live_server.url, annotator.username, image.pk)
    page.keyboard.press("Tab")  # a keyboard user: the focus shows from the first key on
    assert page.evaluate(FOCUSED) == "stage"
    assert focus_ring(page) not in ("none", ""), "the picture holds the focus without showing it"
    expect(page.locator("#box-list li").nth(0)).to_have_class("selected")
    page.keyboard.press("Tab")
    expect(page.locator("#box-list li").nth(1)).to_have_class("selected")
    page.keyboard.press("Tab")  # past the last box: on to the next control of the page
    assert page.evaluate(FOCUSED) != "stage"
    expect(page.locator("#box-list li.selected")).to_have_count(0)
    page.keyboard.press("Shift+Tab")  # back onto the picture, and Shift+Tab walks the boxes from the last
    assert page.evaluate(FOCUSED) == "stage"
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#box-list li").nth(1)).to_have_class("selected")
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#box-list li").nth(0)).to_have_class("selected")
    page.keyboard.press("Shift+Tab")  # before the first box: back to the toolbar
    assert page.evaluate(FOCUSED) == "reset-view"
    context.close()


def test_the_library_filters_say_what_each_one_filters(chromium, live_server, annotator):  # noqa: F811
    """The filter bar shows no labels: its menus had no name at all for a screen reader ("combo box, Any view"), and
    the two text fields only their placeholder, which goes away as soon as one types."""
    page = chromium.new_page()
    login(page, live_server.url, annotator.username, PASSWORD)
    page.goto(f"{live_server.url}/library/")
    names = {"view": "View", "defect": "Defect", "annotated": "Annotated", "wire": "Wire id", "uploader": "Uploader", "group": "Lot"}
    for field, name in names.items():
        expect(page.locator(f"form.filters [name={field}]")).to_have_accessible_name(name)
    expect(page.get_by_label("Needs review")).to_be_visible()
    page.close()


def test_the_pages_zoomed_to_200_percent_do_not_scroll_sideways(chromium, live_server, engineer, make_image):  # noqa: F811
    """At 200 % zoom a 1280 px screen is a 640 px window: the menu bar stayed on one line, 909 px wide, so every page
    scrolled sideways and a magnifier user read each line of text by scrolling left and right."""
    from core import filejobs
    from review.inspection import INSPECTION, root

    make_image("w1_TOP.png", wire_group="lot-1")
    # A finished inspection in the list (other tests leave theirs in the shared data folder too): a row of real names.
    names = {t: f"{t}_20261207_091752_{tag}" for t, tag in (("detection", "map500.85"), ("view", "acc1.00"), ("defect", "bacc0.49"))}
    status = filejobs.new_job(root(INSPECTION), INSPECTION, {"versions": names, "image_ids": [1]}, label="night-shift-lot-12-line-3")
    status.state, status.message = "done", "Inspected 120 pictures of 60 wires: 58 with both views, 2 with one view only."
    filejobs.write_status(root(INSPECTION), status)
    page = chromium.new_page(viewport={"width": 640, "height": 800})
    login(page, live_server.url, engineer.username, PASSWORD)
    for url in ("/", "/library/", "/review/", "/inspect/", "/training/", "/statistics/", "/import/", "/help/"):
        page.goto(f"{live_server.url}{url}")
        width, window = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width <= window, f"{url} is {width} px wide in a {window} px window"
    page.close()


CONTRAST = """(element) => {
  const channels = (colour) => colour.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => {
    const linear = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  };
  let background = element;
  while (background && channels(getComputedStyle(background).backgroundColor)[3] === 0) background = background.parentElement;
  const [fg, bg] = [getComputedStyle(element).color, getComputedStyle(background).backgroundColor].map((c) => luminance(channels(c)));
  return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
}"""


def contrast(page: Page, selector: str) -> float:
    """The WCAG contrast ratio of the text of ``selector`` against the first background behind it."""
    return float(page.locator(selector).evaluate(CONTRAST))


@pytest.mark.parametrize("status", ["queued", "running", "succeeded", "failed", "cancelled", "paused"])
def test_a_runs_state_reads_at_aa_contrast(chromium, live_server, engineer, status):  # noqa: F811
    """The run's state sat in a grey badge in its colour: 'Running' 3.7:1, 'Cancelled' and 'Paused' 4.0:1, 'Succeeded'
    4.1:1, under the 4.5:1 that text needs to be read on a long shift or through a magnifier."""
    from training.models import TrainingRun

    run = TrainingRun.objects.create(model_type="defect", status=status)
    page = chromium.new_page()
    login(page, live_server.url, engineer.username, PASSWORD)
    page.goto(f"{live_server.url}/training/runs/{run.pk}/")
    assert contrast(page, "#status") >= 4.5
    page.close()


def test_the_annotation_pages_quiet_words_read_at_aa_contrast(chromium, live_server, annotator, make_image):  # noqa: F811
    """The revision in the dark toolbar was the page's grey on near-black (2.9:1), and the conflict dialog's 'yours'
    was written in the blue of its boxes (3.7:1)."""
    image = make_image("w1_TOP.png", width=400, height=300)
    context, page = annotation_page(chromium, live_server.url, annotator.username, image.pk)
    expect(page.locator("#revision")).not_to_be_empty()
    assert contrast(page, "#revision") >= 4.5
    page.evaluate("document.getElementById('conflict').showModal()")
    legend = page.locator(".conflict-legend, .conflict-legend *")
    for element in legend.all():
        words = element.evaluate("(e) => [...e.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('')")
        if any(character.isalpha() for character in words):  # the coloured squares are marks, not text (3:1 is theirs)
            assert float(element.evaluate(CONTRAST)) >= 4.5, words
    context.close()


ANNOUNCED = """(element) => {
  const region = element.closest('[aria-live], [role=status], [role=alert], [role=log]');
  return region !== null && region.getAttribute('aria-live') !== 'off';
}"""


def test_what_a_run_page_changes_by_itself_is_announced(chromium, live_server, engineer):  # noqa: F811
    """A screen reader user watching a run heard nothing when its state changed ('Running' to 'Failed'), when its error
    appeared, or when the page lost its live connection: none of them was a live region."""
    from training.models import TrainingRun

    run = TrainingRun.objects.create(model_type="defect", status="running")
    page = chromium.new_page()
    login(page, live_server.url, engineer.username, PASSWORD)
    page.goto(f"{live_server.url}/training/runs/{run.pk}/")
    for changing in ("#status", "#error", "#connection"):
        assert page.locator(changing).evaluate(ANNOUNCED), f"{changing} changes without being announced"
    page.close()


def test_what_a_job_page_says_while_it_polls_is_announced(chromium, live_server, engineer, settings, tmp_path):  # noqa: F811
    """An inspection's and an export's page poll the job and rewrite its message ('you are logged out', 'Lost contact
    with the server'): a screen reader user was never told."""
    from core import filejobs
    from interop import exports
    from review.inspection import INSPECTION, root

    settings.DATA_DIR = tmp_path / "data"
    inspection = filejobs.new_job(root(INSPECTION), INSPECTION, {"image_ids": [1], "versions": {}}, user=engineer.username, total=1)
    export = filejobs.new_job(exports.root(), exports.KIND, {"format": "yolo"}, user=engineer.username, total=1)
    page = chromium.new_page()
    login(page, live_server.url, engineer.username, PASSWORD)
    for url in (f"/jobs/{INSPECTION}/{inspection.id}/", f"/export/{export.id}/"):
        page.goto(f"{live_server.url}{url}")
        assert page.locator("#job-message").evaluate(ANNOUNCED), f"the message of {url} changes without being announced"
    page.close()


def test_the_launch_forms_errors_and_hints_belong_to_their_fields(chromium, live_server, engineer):  # noqa: F811
    """A refused launch marks the settings field invalid and points it at '#id_defect_settings_error', which did not exist:
    a screen reader user on the field heard 'invalid entry' and never why; the hints under the fields were lost too."""
    page = chromium.new_page()
    login(page, live_server.url, engineer.username, PASSWORD)
    page.goto(f"{live_server.url}/training/new/")
    page.select_option("#id_model_type", "defect")
    page.fill("#id_defect_settings", "no such setting: 3")
    page.click("#launch-form button[type=submit]")
    for field in ("#id_defect_settings",):
        expect(page.locator(field)).to_have_attribute("aria-invalid", "true")
        error = page.locator(field).locator("xpath=following-sibling::p[contains(@class, 'error')]")
        expect(page.locator(field)).to_have_accessible_description(error.inner_text())
    expect(page.locator("#id_wire_group")).to_have_accessible_description(page.locator("#id_wire_group + .help").inner_text())
    missing = page.evaluate(
        "[...document.querySelectorAll('[aria-describedby]')].flatMap((e) => e.getAttribute('aria-describedby').split(' '))"
        ".filter((id) => !document.getElementById(id))"
    )
    assert missing == []
    page.close()


def test_a_filter_the_library_left_out_says_why_on_the_filter(chromium, live_server, annotator):  # noqa: F811
    """A filter the library cannot apply is marked invalid and pointed at '#id_uploader_error', which did not exist."""
    page = chromium.new_page()
    login(page, live_server.url, annotator.username, PASSWORD)
    page.goto(f"{live_server.url}/library/?uploader=999999")
    uploader = page.locator("#id_uploader")
    expect(uploader).to_have_attribute("aria-invalid", "true")
    expect(uploader).to_have_accessible_description(
        "Uploader: Select a valid choice. That choice is not one of the available choices."
        " This filter was left out; choose again or clear it."
    )
    page.close()
