"""The picture library against its files under media/: a restore whose database and media/ are of different days."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image as PILImage

from annotations.choices import ReviewState, Source
from annotations.models import Annotation, Image


def media(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / name


def tile_of(page: str, image: Image) -> str:
    """The library tile of ``image``: from its link to the next tile."""
    start = page.index(f'href="/images/{image.pk}/annotate/"')
    end = page.find('<li class="tile">', start)
    return page[start : end if end != -1 else len(page)]


def test_a_picture_whose_thumbnail_is_lost_says_so_on_its_tile_instead_of_a_broken_image(client, annotator, make_image) -> None:
    whole, lost = make_image("001_TOP.png"), make_image("002_TOP.png")
    media(lost.thumbnail_file.name).unlink()
    client.force_login(annotator)
    page = client.get("/library/").content.decode()
    tile = tile_of(page, lost)
    assert "<img" not in tile
    assert "Its thumbnail is missing; an administrator makes it again with manage.py library_check --rebuild." in tile
    assert f'src="/media/{whole.thumbnail_file.name}"' in tile_of(page, whole)
    assert "1 picture on this page has files missing from the data folder" in page


def test_a_picture_whose_original_is_lost_names_the_file_to_copy_back_on_its_tile(client, annotator, make_image) -> None:
    lost = make_image("001_TOP.png")
    for name in lost.stored_names():
        media(name).unlink()
    client.force_login(annotator)
    tile = tile_of(client.get("/library/").content.decode(), lost)
    assert "<img" not in tile
    assert f"Its file media/{lost.file.name} is missing: copy it back from the backup, or delete the picture." in tile


def test_the_files_missing_filter_lists_the_pictures_with_a_missing_file_and_their_count(client, annotator, make_image) -> None:
    whole, no_thumb, no_display, no_original = (make_image(f"00{n}_TOP.png") for n in range(4))
    media(no_thumb.thumbnail_file.name).unlink()
    media(no_display.display_file.name).unlink()
    media(no_original.file.name).unlink()
    client.force_login(annotator)
    page = client.get("/library/?missing=on").content.decode()
    assert "3 pictures of 4" in page
    assert all(f"/images/{image.pk}/annotate/" in page for image in (no_thumb, no_display, no_original))
    assert f"/images/{whole.pk}/annotate/" not in page
    assert "3 pictures of 4" in client.get("/library/?missing=on&view=TOP").content.decode()  # with the other filters


def test_the_library_page_and_its_files_missing_filter_stay_fast_on_ten_thousand_pictures(client, annotator, make_image) -> None:
    """Each page asks the disk only about the 60 pictures it shows; the filter walks media/ once, not 30,000 stat()s."""
    real = make_image("real_TOP.png")
    Image.objects.bulk_create(
        Image(
            original_name=f"{n:05d}_TOP.png",
            sha256=f"{n:064x}",
            width=64,
            height=48,
            wire_id=f"{n:05d}",
            view="TOP",
            file=real.file.name if n % 2 else f"images/zz/{n}.png",  # half lost their original
            display_file=real.display_file.name,
            thumbnail_file=real.thumbnail_file.name if n % 2 else "",
        )
        for n in range(10_000)
    )
    client.force_login(annotator)
    client.get("/library/")  # sessions, caches
    for query in ("", "?missing=on"):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/library/{query}")
        took = time.perf_counter() - started
        assert response.status_code == 200
        assert len(queries) <= 12, [q["sql"][:120] for q in queries]
        assert took < 3, f"/library/{query} took {took:.2f} s"
    assert "5000 pictures of 10001" in response.content.decode()


def test_the_review_queue_says_a_thumbnail_is_missing_instead_of_a_broken_image(client, engineer, make_image) -> None:
    image = make_image("001_TOP.png")
    Annotation.objects.create(
        image=image, x=1, y=1, width=10, height=10, view="TOP", defect="PASS", source=Source.MODEL, review_state=ReviewState.PENDING
    )
    media(image.thumbnail_file.name).unlink()
    client.force_login(engineer)
    page = client.get("/review/").content.decode()
    assert "Its thumbnail is missing; an administrator makes it again with manage.py library_check --rebuild." in page
    assert image.thumbnail_file.name not in page


def run_check(*args: str) -> str:
    out = io.StringIO()
    call_command("library_check", *args, stdout=out)
    return out.getvalue()


def test_library_check_says_the_library_is_whole(make_image) -> None:
    make_image()
    assert run_check() == "The library is whole: every picture has its files and every file under media/ has its picture.\n"


def test_library_check_reports_then_rebuilds_lost_copies_and_removes_files_no_picture_names(make_image) -> None:
    kept = make_image("001_TOP.png")
    no_copies = make_image("002_SIDE.png", wire_group="lot-7")
    no_original = make_image("003_TOP.png")
    media(no_copies.thumbnail_file.name).unlink()
    media(no_copies.display_file.name).unlink()
    media(no_original.file.name).unlink()
    old_orphan, new_orphan = media("images/ab/" + "ab" * 32 + ".png"), media("thumbs/cd/" + "cd" * 32 + ".jpg")
    for orphan in (old_orphan, new_orphan):
        orphan.parent.mkdir(parents=True, exist_ok=True)
        orphan.write_bytes(b"left by a disk that filled mid-upload")
    a_day_ago = time.time() - 86_400
    os.utime(old_orphan, (a_day_ago, a_day_ago))

    report = run_check()
    assert (
        f'picture "003_TOP.png" (id {no_original.pk}): its original media/{no_original.file.name} is missing; copy it back '
        "from the backup, or delete the picture in the library" in report
    )
    copies = f"media/{no_copies.display_file.name}, media/{no_copies.thumbnail_file.name}"
    assert f'picture "002_SIDE.png" (id {no_copies.pk}): {copies} missing, can be rebuilt from its original' in report
    assert f"file no picture names: media/images/ab/{'ab' * 32}.png" in report
    assert f"media/thumbs/cd/{'cd' * 32}.jpg; left alone" in report
    assert "Run again with --rebuild to make the missing display copies and thumbnails again and --remove to delete" in report
    assert old_orphan.exists() and not media(no_copies.thumbnail_file.name).exists()  # a report changes nothing

    report = run_check("--rebuild", "--remove")
    assert f'rebuilt for picture "002_SIDE.png" (id {no_copies.pk})' in report
    assert f"removed file no picture names: media/images/ab/{'ab' * 32}.png" in report
    assert not old_orphan.exists() and new_orphan.exists()  # a file written in the last hour may be an upload's
    with PILImage.open(media(no_copies.thumbnail_file.name)) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) == 64
    with PILImage.open(media(no_copies.display_file.name)) as display:
        assert display.size == (no_copies.width, no_copies.height)
    assert all(media(name).exists() for name in kept.stored_names())
    assert Image.objects.count() == 3  # a picture without its original is the operator's to restore or delete


def test_library_check_fails_when_a_lost_copy_cannot_be_rebuilt(make_image) -> None:
    image = make_image("001_TOP.png")
    media(image.thumbnail_file.name).unlink()
    media(image.file.name).write_bytes(b"not a picture any more")
    with pytest.raises(CommandError, match=r'1 picture could not be rebuilt: picture "001_TOP.png" .*cannot be read'):
        run_check("--rebuild")
