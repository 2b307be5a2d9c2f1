"""The statistics page draws its charts in Chromium from the numbers its tables show, without a console error."""

from __future__ import annotations

import pytest

from annotations.models import Annotation
from tests.browser_fixtures import chromium, login  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_class_balance_boxes_per_picture_and_sizes_are_charted(chromium, live_server, annotator, make_image):  # noqa: F811
    top, side = make_image("w1_TOP.png", width=400, height=300), make_image("w1_SIDE.png", width=400, height=300)
    Annotation.objects.create(image=top, x=1, y=1, width=120, height=60, view="TOP", defect="SWEEP")
    Annotation.objects.create(image=top, x=200, y=1, width=130, height=40, view="TOP", defect="TOUCH")
    Annotation.objects.create(image=side, x=1, y=1, width=180, height=70, view="SIDE", defect="SWEEP")
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    login(page, live_server.url, annotator.username, PASSWORD)
    page.goto(f"{live_server.url}/statistics/")
    page.wait_for_function("document.body.dataset.charts === '3'")
    balance = page.evaluate("Chart.getChart('chart-balance').data.datasets.map(d => [d.label, d.data])")
    assert [label.split()[0] for label, _ in balance] == ["PASS", "SWEEP", "WOBBLE", "TOUCH"]
    assert [counts for _, counts in balance] == [[0, 0], [1, 1], [0, 0], [1, 0]]  # TOP, SIDE
    assert page.evaluate("Chart.getChart('chart-boxes').data.datasets[0].data") == [1, 1]  # one picture with 1 box, one with 2
    # The Chinese class names are drawn with the app's own CJK subset font (no system font needed).
    assert page.evaluate("""document.fonts.load('16px "Wiresag CJK"', '沖線晃動碰觸').then(faces => faces.length)""") >= 1
    assert errors == []
    context.close()
