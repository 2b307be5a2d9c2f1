"""Probe of the pages in Chromium: what an inspector or an engineer meets when walking them."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page

from annotations.models import Annotation
from tests.browser_fixtures import annotation_page, chromium  # noqa: F401

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
