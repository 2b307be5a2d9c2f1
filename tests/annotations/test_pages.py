"""The library, annotation and statistics pages render, page by id and show markup as text."""

from __future__ import annotations

import pytest

from annotations.models import Annotation, Image
from annotations.views import PAGE_SIZE
from tests.conftest import PASSWORD


@pytest.fixture
def client_in(client, annotator):  # type: ignore[no-untyped-def]
    client.login(username=annotator.username, password=PASSWORD)
    return client


def test_pages_need_login(client, db):
    for path in ("/library/", "/statistics/", "/images/1/annotate/"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login/" in response["Location"]


def test_library_shows_thumbnails_and_box_counts(client_in, make_image):
    image = make_image("w1_TOP.png")
    Annotation.objects.create(image=image, x=1, y=1, width=5, height=5, view="TOP", defect="PASS")
    Annotation.objects.create(image=image, x=9, y=1, width=5, height=5, view="TOP", defect="TOUCH")
    html = client_in.get("/library/").content.decode()
    assert image.thumbnail_file.url in html
    assert "2 boxes: PASS, TOUCH" in html
    # Each box drawn on the thumbnail in the picture's own coordinates, coloured by its class.
    assert '<rect class="box-pass" x="1.0" y="1.0" width="5.0" height="5.0"/>' in html
    assert '<rect class="box-touch" x="9.0" y="1.0" width="5.0" height="5.0"/>' in html
    assert f'viewBox="0 0 {image.width} {image.height}"' in html
    assert f"/images/{image.pk}/annotate/" in html


def test_markup_in_names_and_notes_is_shown_as_text(client_in, make_image):
    image = make_image('<img src=x onerror="alert(1)">_TOP.png')
    Image.objects.filter(pk=image.pk).update(notes="<script>alert(2)</script>")
    library = client_in.get("/library/").content.decode()
    page = client_in.get(f"/images/{image.pk}/annotate/").content.decode()
    for html in (library, page):
        assert "<img src=x" not in html
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "<script>alert(2)" not in page


def test_library_shows_the_newest_first_and_pages_by_id_with_filters_kept(client_in, make_image):
    images = [make_image(f"w{i:03d}_{'TOP' if i % 2 else 'SIDE'}.png") for i in range(2 * PAGE_SIZE + 5)]
    tops = [image for image in images if image.view == "TOP"][::-1]  # newest first
    first = client_in.get("/library/?view=TOP")
    assert [image.pk for image, *_ in first.context["cards"]] == [image.pk for image in tops[:PAGE_SIZE]]
    before = first.context["older_before"]
    assert before == tops[PAGE_SIZE - 1].pk and first.context["newer_after"] is None
    second = client_in.get(f"/library/?view=TOP&before={before}")
    assert [image.pk for image, *_ in second.context["cards"]] == [image.pk for image in tops[PAGE_SIZE:]]
    assert second.context["older_before"] is None
    back = client_in.get(f"/library/?view=TOP&after={second.context['newer_after']}")
    assert [image.pk for image, *_ in back.context["cards"]] == [image.pk for image in tops[:PAGE_SIZE]]
    assert "view=TOP&amp;before=" in first.content.decode()


def test_the_count_follows_the_filters_and_the_lot_given_at_upload_filters(client_in, make_image):
    make_image("a_TOP.png", wire_group="lot-7")
    make_image("b_TOP.png", wire_group="lot-7/tray-2")
    make_image("c_TOP.png", wire_group="lot-8")
    make_image("d_SIDE.png")
    everything = client_in.get("/library/")
    assert everything.context["total"] == 4 and "4 pictures, newest first" in everything.content.decode()
    lot = client_in.get("/library/?group=lot-7")
    assert [image.original_name for image, *_ in lot.context["cards"]] == ["b_TOP.png", "a_TOP.png"]
    assert "2 pictures of 4, newest first" in lot.content.decode()
    assert client_in.get("/library/?view=SIDE").context["total"] == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("defect=TOUCH", ["touch_TOP.png"]),
        ("annotated=yes", ["touch_TOP.png", "review_TOP.png"]),
        ("annotated=no", ["bare_SIDE.png"]),
        ("review=on", ["review_TOP.png"]),
        ("wire=bare", ["bare_SIDE.png"]),
        ("view=SIDE", ["bare_SIDE.png"]),
    ],
)
def test_library_filters(client_in, make_image, query, expected):
    touch = make_image("touch_TOP.png")
    review = make_image("review_TOP.png")
    make_image("bare_SIDE.png")
    Annotation.objects.create(image=touch, x=1, y=1, width=5, height=5, view="TOP", defect="TOUCH")
    Annotation.objects.create(image=touch, x=9, y=1, width=5, height=5, view="TOP", defect="TOUCH")
    Annotation.objects.create(image=review, x=1, y=1, width=5, height=5, view="TOP", defect="PASS", source="model", review_state="pending")
    response = client_in.get(f"/library/?{query}")
    assert [image.original_name for image, *_ in response.context["cards"]] == expected[::-1]  # newest first


def test_library_filter_by_uploader(client_in, annotator, make_image):
    mine = make_image("mine_TOP.png")
    Image.objects.filter(pk=mine.pk).update(uploaded_by=annotator)
    make_image("theirs_TOP.png")
    response = client_in.get(f"/library/?uploader={annotator.pk}")
    assert [image.original_name for image, *_ in response.context["cards"]] == ["mine_TOP.png"]


def test_annotate_page_has_tool_and_shortcuts(client_in, make_image):
    image = make_image("w1_TOP.png")
    html = client_in.get(f"/images/{image.pk}/annotate/").content.decode()
    assert f'data-api="/api/images/{image.pk}/annotations"' in html
    assert "annotations/annotate.js" in html
    for shortcut in ("Ctrl+Z", "Ctrl+S", "A / D", "1 2 3 4", "T / S", "Delete"):
        assert shortcut in html
    assert "SWEEP 沖線" in html


def test_unknown_picture_page_is_404(client_in):
    assert client_in.get("/images/424242/annotate/").status_code == 404


def test_nav_and_home_link_to_library(client_in):
    html = client_in.get("/").content.decode()
    assert 'href="/library/"' in html
    assert 'href="/statistics/"' in html
