"""The workspace at a factory's scale: work that grew with the library times the rows a filter looks for."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from annotations.choices import ReviewState, Source
from annotations.models import Annotation, Image

pytestmark = pytest.mark.django_db


def _pictures(count: int, start: int = 0) -> list[Image]:
    """``count`` pictures written as rows only (the library never opens their files)."""
    return Image.objects.bulk_create(
        Image(
            file=f"images/x{i}.png",
            original_name=f"w{i}_TOP.png",
            sha256=f"{i:064d}",
            width=64,
            height=48,
            wire_id=f"w{i}",
            view="TOP",
        )
        for i in range(start, start + count)
    )


def _pending(images: list[Image]) -> None:
    Annotation.objects.bulk_create(
        Annotation(
            image=image, x=1, y=1, width=5, height=5, view="TOP", defect="SWEEP", source=Source.MODEL, review_state=ReviewState.PENDING
        )
        for image in images
    )


@contextmanager
def _database_steps() -> Iterator[list[int]]:
    """Counts the SQLite virtual machine's steps (in thousands) while the block runs: the work, not the time it took."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    connection.ensure_connection()
    connection.connection.set_progress_handler(count, 1000)
    try:
        yield steps
    finally:
        connection.connection.set_progress_handler(None, 0)


def test_the_needs_review_filter_s_work_grows_with_the_library_not_with_its_square(client, annotator) -> None:  # type: ignore[no-untyped-def]
    """The library's "Needs review" filter looked, for each picture, through every box waiting for review (SQLite took the
    review-state index for the per-picture check): 20,000 pictures and 3,000 waiting boxes took 13 s a page."""
    if connection.vendor != "sqlite":
        pytest.skip("counts SQLite's steps")
    client.force_login(annotator)

    def steps_for(pictures: int) -> int:
        Image.objects.all().delete()
        images = _pictures(pictures)
        _pending(images[::2])  # half of them wait for review
        with _database_steps() as steps:
            response = client.get("/library/?review=on")
        assert response.status_code == 200
        assert response.context["total"] == pictures // 2
        return steps[0]

    small, large = steps_for(100), steps_for(400)
    assert large < 6 * small  # four times the library: linear work is about 4 times, the old per-picture scan 16 times
