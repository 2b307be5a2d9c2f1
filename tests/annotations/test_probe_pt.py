"""Probe pt: an inspector's day on real pictures, the pages read through Django's test client."""

from __future__ import annotations

import io
import threading
import zipfile
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.annotations.test_stats import add_box
from tests.conftest import PASSWORD, png_bytes


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


class WindowsZipInfo(zipfile.ZipInfo):
    """An entry as Windows' own "Send to > Compressed folder" writes it on a Traditional Chinese system: the name in the
    system's code page (cp950), without the flag that says UTF-8."""

    def _encodeFilenameFlags(self):  # type: ignore[no-untyped-def]
        return self.filename.encode("cp950"), self.flag_bits & ~0x800


def windows_zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(WindowsZipInfo(name), data)
    return buffer.getvalue()


def test_a_zip_made_by_windows_keeps_the_chinese_folder_names_as_lots(client, annotator) -> None:  # type: ignore[no-untyped-def]
    """The desktop tool's photo/ folder zipped with Windows Explorer (Top/晃動/003_TOP.jpg, ...) was taken into the library
    with lots named "«╠░╩" and "╕I─▓": the zip's names were read in the wrong code page."""
    from annotations.models import Image

    data = windows_zip({"photo/Top/晃動/003_TOP.png": png_bytes(seed=1), "photo/Side/碰觸/001_SIDE.png": png_bytes(seed=2)})
    client.login(username=annotator.username, password=PASSWORD)
    response = client.post("/api/images/upload", {"files": [SimpleUploadedFile("photo.zip", data)]})
    assert response.status_code == 200, response.content
    stored = sorted(Image.objects.values_list("wire_group", "original_name"))
    assert stored == [("photo/晃動", "003_TOP.png"), ("photo/碰觸", "001_SIDE.png")]
    names = [result["name"] for result in response.json()["results"]]
    assert names == ["photo.zip/photo/Top/晃動/003_TOP.png", "photo.zip/photo/Side/碰觸/001_SIDE.png"]


def test_utf8_names_without_the_flag_and_plain_names_are_read_as_they_are() -> None:
    from annotations.upload import open_zip

    class Utf8WithoutFlag(zipfile.ZipInfo):
        def _encodeFilenameFlags(self):  # type: ignore[no-untyped-def]
            return self.filename.encode("utf-8"), self.flag_bits & ~0x800

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(Utf8WithoutFlag("沖線/001_TOP.png"), b"1")
        archive.writestr(zipfile.ZipInfo("lot-7/002_TOP.png"), b"2")
        archive.writestr(zipfile.ZipInfo("晃動/003_TOP.png"), b"3")  # flagged UTF-8
    with open_zip(buffer) as archive:
        assert archive.namelist() == ["沖線/001_TOP.png", "lot-7/002_TOP.png", "晃動/003_TOP.png"]
        assert [archive.read(info) for info in archive.infolist()] == [b"1", b"2", b"3"]
