"""Probe pt: an inspector's day on real pictures, the pages read through Django's test client."""

from __future__ import annotations

import threading
from datetime import timedelta

from tests.annotations.test_stats import add_box
from tests.conftest import PASSWORD


def _join_statistics_threads() -> None:
    for thread in threading.enumerate():
        if thread.name == "wiresag-statistics":
            thread.join(timeout=30)


def test_an_old_count_shown_while_counting_again_says_it_is_old(client, annotator, make_image, settings, transactional_db):  # type: ignore[no-untyped-def]
    """After a pause the statistics page showed the count of minutes ago (114 pictures, the 6 just uploaded missing)
    under "this page shows a count up to 30 s old": the count shown was older than that, and nothing said to reload."""
    from annotations import stats

    settings.STATISTICS_MAX_AGE_SECONDS = 30
    client.login(username=annotator.username, password=PASSWORD)
    add_box(make_image("w1_TOP.png"), "TOP", "SWEEP", width=5, height=5)
    assert client.get("/statistics/").context["stats"].image_count == 1
    make_image("w2_TOP.png")  # uploaded meanwhile
    with stats._summary.lock:  # the kept count is two minutes old
        stats._summary.monotonic -= 120
        stats._summary.stats.counted_at -= timedelta(seconds=120)

    page = client.get("/statistics/")
    _join_statistics_threads()

    html = page.content.decode()
    assert page.context["stats"].image_count == 1  # the old count, at once
    assert "shows a count up to 30 s old" not in html
    assert "older than 30 s" in html and "reload" in html
    fresh = client.get("/statistics/")
    assert fresh.context["stats"].image_count == 2
    assert "shows a count up to 30 s old" in fresh.content.decode()


def test_library_cards_of_pictures_of_the_same_name_say_which_lot_each_is_in(client, annotator, make_image) -> None:  # type: ignore[no-untyped-def]
    """The real library shows five cards "001_SIDE.jpg" (PASS, 沖線, 晃動, 碰觸 and an uploaded lot each number their wires
    from 1): nothing on a card said which lot it was, so an unannotated one could not be told apart from another."""
    make_image("001_SIDE.jpg", wire_group="晃動 lot-12")
    make_image("001_SIDE.jpg", wire_group="碰觸")
    client.login(username=annotator.username, password=PASSWORD)
    page = client.get("/library/").content.decode()
    cards = page.split('<ul class="grid">')[1]
    assert "晃動 lot-12" in cards and "碰觸" in cards
