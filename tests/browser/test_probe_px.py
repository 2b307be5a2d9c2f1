"""Probe px: the lot names shown today, in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_fixtures import annotation_page, chromium  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

#: Whether the text ``name`` inside ``#image-name`` is drawn inside every box that clips it (not cut by an ellipsis).
NAME_SHOWN = """name => {
  const root = document.getElementById("image-name");
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(name);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + name.length);
    const text = range.getBoundingClientRect();
    const holder = node.parentElement;  // shows all its text: no ellipsis cuts it
    if (holder.scrollWidth > holder.clientWidth) return false;
    for (let box = node.parentElement; box; box = box === root ? null : box.parentElement) {
      const clip = box.getBoundingClientRect();
      if (text.left < clip.left - 1 || text.right > clip.right + 1) return false;
    }
    return text.width > 0;
  }
  return false;
}"""


def test_a_long_lot_name_leaves_the_pictures_name_in_sight(chromium, live_server, annotator, make_image) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The toolbar names the lot before the picture in at most 22rem: an uploaded folder named as the line names its
    batches ('2026-12-07 line 3 night shift batch 12/晃動') filled it, so walking the lot with D showed the same cut lot
    name on every picture and never the picture's own name (001_TOP.jpg, 002_TOP.jpg ...)."""
    image = make_image("001_TOP.jpg", width=400, height=300, wire_group="2026-12-07 line 3 night shift batch 12/晃動")
    context, page = annotation_page(chromium, live_server.url, annotator.username, image.pk, width=1024, height=768)
    expect(page.locator("#image-name")).to_contain_text("001_TOP.jpg")
    assert page.evaluate(NAME_SHOWN, "001_TOP.jpg"), "the picture's name is cut off the toolbar"
    lot = page.get_by_text("2026-12-07 line 3", exact=False).last.bounding_box()
    assert lot is not None and lot["width"] > 50, "the lot is not shown"
    context.close()
